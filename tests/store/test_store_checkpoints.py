"""Checkpoints in the store: the first ``before`` of a turn's file stays, later turns follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from silcrow.protocol.events import Event
from silcrow.store import EventStore
from silcrow.store.checkpoints import content_digest as digest


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
    assert rows == [("t3", "/w/a.py", "a2", digest("a3")), ("t3", "/w/b.py", None, digest("b1"))]
    assert everything[0] == ("t1", "a0", digest("a2"))  # before kept, after moved (as a digest)
    assert left == ["t1"]


async def test_a_text_marked_secret_never_reaches_the_database(tmp_path: Path) -> None:
    """A ``before`` holding a credential stays in memory; after a restart the row is ``lost``."""
    secret = "token = ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    store = await EventStore.open(tmp_path / "db")
    try:
        conv = (await store.create_conversation(workspace="w")).id
        await store.append(Event("user", "t1", None, conv, "t1"))
        await store.checkpoints.record(conv, "t1", "/w/.envrc", secret, secret + "\nx", secret=True)
        await store.checkpoints.record(conv, "t1", "/w/a.py", "plain", secret)
        live = [(r.path, r.before, r.lost) for r in await store.checkpoints.of(conv)]
    finally:
        await store.close()
    assert live == [("/w/.envrc", secret, False), ("/w/a.py", "plain", False)]
    assert b"ghp_" not in _bytes_under(
        tmp_path
    )  # neither the held ``before`` nor any ``after`` text
    store = await EventStore.open(tmp_path / "db")
    try:
        reopened = [(r.path, r.before, r.lost) for r in await store.checkpoints.of(conv)]
    finally:
        await store.close()
    assert reopened == [("/w/.envrc", None, True), ("/w/a.py", "plain", False)]


def _bytes_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
