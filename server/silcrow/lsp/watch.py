"""Stale files: which files the model has read changed on disk since.

Algorithm:
1. ``record(path)`` is called by the editor-backed workspace after the model
   reads or writes a file: it stores the file's disk signature (mtime_ns,
   size) as the model knows it. The first record starts the watcher.
2. The watcher (watchfiles, one task per workspace, ``.git`` and the usual
   build/cache directories ignored by ``DefaultFilter``) only keeps paths that
   were recorded: everything else in the tree is irrelevant to the model.
3. ``notices(is_open)`` (called by the agent at the start of each model
   cycle) takes the changed paths, drops those open in the editor (the model
   reads the buffer, which the editor keeps current) and those whose
   signature is unchanged (our own writes, touch-and-revert), and returns one
   line: "changed on disk since you read them: a.py, b/c.py". Each change is
   told once; the path stays tracked for later changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

Signature = tuple[int, int] | None


def signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class StaleFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._known: dict[Path, Signature] = {}
        self._changed: set[Path] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def record(self, path: Path) -> None:
        self._known[path] = signature(path)
        self._changed.discard(path)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def mark_changed(self, path: Path) -> None:
        if path in self._known:
            self._changed.add(path)

    def notices(self, is_open: Callable[[Path], bool]) -> list[str]:
        stale: list[str] = []
        for path in sorted(self._changed):
            now = signature(path)
            if is_open(path) or now == self._known.get(path):
                continue
            self._known[path] = now
            stale.append(self._display(path))
        self._changed.clear()
        if not stale:
            return []
        return ["changed on disk since you read them: " + ", ".join(stale)]

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    async def _watch(self) -> None:
        from watchfiles import DefaultFilter, awatch

        base = DefaultFilter()

        def wanted(change: object, name: str) -> bool:
            return Path(name) in self._known and base(change, name)  # type: ignore[arg-type]

        try:
            async for changes in awatch(
                self.root, watch_filter=wanted, stop_event=self._stop, debounce=200, step=50
            ):
                for _, name in changes:
                    self.mark_changed(Path(name))
        except Exception:  # a watcher failure must not take the daemon down
            log.exception("file watcher for %s stopped", self.root)

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
