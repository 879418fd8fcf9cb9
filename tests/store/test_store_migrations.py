"""Migrations: applied once from empty, recorded, never re-applied, atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from silcrow.store import EventStore
from silcrow.store import migrations as mig
from silcrow.store.db import Writer


def recorded(path: Path) -> list[tuple[str, float]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT name, applied_at FROM migrations ORDER BY rowid").fetchall()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_empty_database_gets_every_migration_in_order(db_path: Path) -> None:
    store = await EventStore.open(db_path)
    await store.close()
    assert [name for name, _ in recorded(db_path)] == [fn.__name__ for fn in mig.MIGRATIONS]
    assert {"conversations", "events", "profiles", "turns", "recall"} <= tables(db_path)


async def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    await (await EventStore.open(db_path)).close()
    first = recorded(db_path)
    await (await EventStore.open(db_path)).close()
    assert recorded(db_path) == first  # same names, same applied_at: nothing ran again


async def test_new_migration_is_applied_once_on_an_existing_database(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await EventStore.open(db_path)).close()
    calls: list[str] = []

    async def m999_extra(w: Writer) -> None:
        calls.append("ran")
        await w.execute("CREATE TABLE extra (x INTEGER)")

    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, m999_extra])
    await (await EventStore.open(db_path)).close()
    await (await EventStore.open(db_path)).close()
    assert calls == ["ran"]
    assert recorded(db_path)[-1][0] == "m999_extra"
    assert "extra" in tables(db_path)


async def test_failing_migration_leaves_nothing_behind(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def m998_broken(w: Writer) -> None:
        await w.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, m998_broken])
    with pytest.raises(RuntimeError, match="boom"):
        await EventStore.open(db_path)
    assert "half_done" not in tables(db_path)
    assert "conversations" not in tables(db_path)  # the whole batch rolled back


async def test_wal_and_durability_pragmas(db_path: Path) -> None:
    for durability, expected in (("normal", 1), ("full", 2)):
        store = await EventStore.open(db_path, durability=durability)  # type: ignore[arg-type]
        mode = await store._db.fetchone("PRAGMA journal_mode")
        sync = await store._db.fetchone("PRAGMA synchronous")
        await store.close()
        assert mode == ("wal",)
        assert sync == (expected,)
