"""Checkpoints in the store: the first ``before`` of a turn's file stays, later turns follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from silcrow.protocol.events import Event
from silcrow.store import EventStore


async def test_since_a_turn_gives_it_and_every_later_turn_in_order(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "db")
    try:
        conv = (await store.create_conversation(workspace="w")).id
        for turn in ("t1", "t2", "t3"):
            await store.append(Event("user", turn, None, conv, turn))
        marks = store.checkpoints
        await marks.record(conv, "t1", "/w/a.py", "a0", "a1")
        await marks.record(conv, "t1", "/w/a.py", "ignored", "a2")  # a second change in t1
        await marks.record(conv, "t3", "/w/a.py", "a2", "a3")
        await marks.record(conv, "t3", "/w/b.py", None, "b1")
        rows = [(r.turn_id, r.path, r.before, r.after) for r in await marks.since(conv, "t2")]
        everything = [(r.turn_id, r.before, r.after) for r in await marks.of(conv)]
        with pytest.raises(ValueError, match="t9 is not a turn of conversation"):
            await marks.since(conv, "t9")
        await marks.forget(conv, ["t3"])
        left = [r.turn_id for r in await marks.of(conv)]
    finally:
        await store.close()
    assert rows == [("t3", "/w/a.py", "a2", "a3"), ("t3", "/w/b.py", None, "b1")]
    assert everything[0] == ("t1", "a0", "a2")  # before kept, after moved
    assert left == ["t1"]
