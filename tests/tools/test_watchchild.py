"""The watcher child: ready before changes are promised, changes in order, and it stops when told."""

from __future__ import annotations

import asyncio
from pathlib import Path

from silcrow.tools.watchchild import watch_in_child


async def test_changes_after_ready_arrive_and_stop_ends_the_child(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    seen: list[Path] = []
    got = asyncio.Event()

    async def changed(paths: list[Path]) -> None:
        seen.extend(paths)
        got.set()

    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.ensure_future(watch_in_child(tmp_path, changed, stop, ready))
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.to_thread((tmp_path / ".git" / "index").write_text, "ignored")
    await asyncio.to_thread((tmp_path / "new.py").write_text, "x = 1\n")
    await asyncio.wait_for(got.wait(), 30)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert tmp_path / "new.py" in seen
    assert not [p for p in seen if ".git" in p.parts]


async def test_a_child_that_cannot_watch_sets_ready_and_returns(tmp_path: Path) -> None:
    stop, ready = asyncio.Event(), asyncio.Event()

    async def changed(paths: list[Path]) -> None:
        raise AssertionError(paths)

    await asyncio.wait_for(watch_in_child(tmp_path / "missing", changed, stop, ready), 30)
    assert ready.is_set()
