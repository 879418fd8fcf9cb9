"""Append-only schema migrations, recorded in the database.

Algorithm:
1. Each migration is a named async function taking a ``Writer``; ``MIGRATIONS``
   lists them in order. The name is the function name and never changes; a
   schema change is a new function appended at the end, never an edit.
2. ``migrate`` opens one ``BEGIN IMMEDIATE`` transaction, creates the
   ``migrations`` table if missing, reads the names already applied, runs the
   rest in order and records each name with the time it was applied.
3. SQLite DDL is transactional, so a failing migration leaves nothing behind,
   and two processes opening a fresh database at once cannot both apply one
   (the second waits for the write lock, then finds the names recorded).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable

from silcrow.store.db import Database, Writer

Migration = Callable[[Writer], Awaitable[None]]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration (its function name is its record)."""
    MIGRATIONS.append(fn)
    return fn


async def _run(w: Writer, *statements: str) -> None:
    for sql in statements:
        await w.execute(sql)


@migration
async def m001_conversations_events_profiles(w: Writer) -> None:
    await _run(
        w,
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            workspace TEXT NOT NULL DEFAULT '',
            user_id TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX conversations_by_updated ON conversations(updated_at)",
        "CREATE INDEX conversations_by_workspace ON conversations(workspace, updated_at)",
        "CREATE INDEX conversations_by_user ON conversations(user_id, updated_at)",
        """CREATE TABLE events (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            turn_id TEXT NOT NULL,
            type TEXT NOT NULL,
            content TEXT NOT NULL,
            payload TEXT,
            timestamp REAL NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID""",
        "CREATE INDEX events_by_turn ON events(conversation_id, turn_id)",
        """CREATE TRIGGER events_touch_conversation AFTER INSERT ON events BEGIN
            UPDATE conversations SET updated_at = max(updated_at, NEW.timestamp)
            WHERE id = NEW.conversation_id;
        END""",
        """CREATE TABLE profiles (
            user_id TEXT PRIMARY KEY,
            profile TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
    )


@migration
async def m002_recall_index(w: Writer) -> None:
    await _run(
        w,
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            turn_id TEXT NOT NULL,
            user_text TEXT NOT NULL,
            respond_text TEXT NOT NULL,
            timestamp REAL NOT NULL,
            UNIQUE (conversation_id, turn_id)
        )""",
    )
    try:
        await w.execute(
            """CREATE VIRTUAL TABLE recall USING fts5(
                user_text, respond_text, content='turns', content_rowid='id',
                tokenize='porter unicode61 remove_diacritics 2'
            )"""
        )
    except sqlite3.OperationalError as exc:
        raise RuntimeError(
            f"this Python's SQLite ({sqlite3.sqlite_version}) lacks FTS5, which the recall "
            f"index needs; use a Python built against an SQLite with FTS5 ({exc})"
        ) from exc
    await _run(
        w,
        """CREATE TRIGGER turns_ai AFTER INSERT ON turns BEGIN
            INSERT INTO recall(rowid, user_text, respond_text)
            VALUES (NEW.id, NEW.user_text, NEW.respond_text);
        END""",
        """CREATE TRIGGER turns_ad AFTER DELETE ON turns BEGIN
            INSERT INTO recall(recall, rowid, user_text, respond_text)
            VALUES ('delete', OLD.id, OLD.user_text, OLD.respond_text);
        END""",
        """CREATE TRIGGER turns_au AFTER UPDATE ON turns BEGIN
            INSERT INTO recall(recall, rowid, user_text, respond_text)
            VALUES ('delete', OLD.id, OLD.user_text, OLD.respond_text);
            INSERT INTO recall(rowid, user_text, respond_text)
            VALUES (NEW.id, NEW.user_text, NEW.respond_text);
        END""",
    )


async def migrate(db: Database) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied now."""
    applied: list[str] = []
    async with db.write() as w:
        await w.execute(
            "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        done = {row[0] for row in await w.fetchall("SELECT name FROM migrations")}
        for fn in MIGRATIONS:
            if fn.__name__ in done:
                continue
            await fn(w)
            await w.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                (fn.__name__, time.time()),
            )
            applied.append(fn.__name__)
    return applied


@migration
async def m003_checkpoints(w: Writer) -> None:
    """Per turn and file: the text before the turn's first change, and what it left."""
    await _run(
        w,
        """CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            turn_id TEXT NOT NULL,
            path TEXT NOT NULL,
            before TEXT,
            after TEXT,
            time REAL NOT NULL,
            held INTEGER NOT NULL DEFAULT 0,
            UNIQUE (conversation_id, turn_id, path)
        )""",
    )
