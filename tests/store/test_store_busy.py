"""SQLITE_BUSY from another process: BEGIN IMMEDIATE and reads wait it out, bounded.

SQLite's own busy handler is switched off here (``BUSY_TIMEOUT_MS = 0``) so
every wait is the store's retry, not SQLite's polling.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from silcrow.store import EventStore
from silcrow.store import db as dbmod


@pytest.fixture
async def store(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EventStore]:
    """A store whose SQLite busy handler never waits."""
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 0)
    opened = await EventStore.open(db_path)
    try:
        yield opened
    finally:
        await opened.close()


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another connection (as another window's daemon would) holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO migrations (name, applied_at) VALUES ('held', 0)")
    return other


async def test_a_write_waits_for_the_other_connection_and_then_lands(
    store: EventStore, db_path: Path
) -> None:
    other = hold_write_lock(db_path)
    loop = asyncio.get_running_loop()
    started = loop.time()
    loop.call_later(0.3, other.commit)
    try:
        conv = await store.create_conversation(workspace="w")
        assert loop.time() - started >= 0.25  # it met the lock and waited, it did not fail
        assert await store.get_conversation(conv.id) == conv
    finally:
        other.close()


async def test_a_read_during_a_write_lock_is_answered(store: EventStore, db_path: Path) -> None:
    conv = await store.create_conversation(workspace="w")
    other = hold_write_lock(db_path)
    try:
        assert await store.get_conversation(conv.id) == conv  # WAL: readers do not wait for writers
    finally:
        other.close()


async def test_a_lock_held_past_the_deadline_is_an_error_and_writes_nothing(
    store: EventStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbmod, "BUSY_DEADLINE_S", 0.3)
    other = hold_write_lock(db_path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await store.create_conversation(workspace="w")
        other.rollback()
        assert await store.list_conversations() == []
    finally:
        other.close()
