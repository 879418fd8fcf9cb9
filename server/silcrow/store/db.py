"""The connection: pragmas, durability, and the one way to write.

Algorithm:
1. Open one aiosqlite connection in autocommit mode (``isolation_level=None``)
   so the store, not the sqlite3 module, decides where transactions begin.
2. Set ``busy_timeout`` first (so the pragmas below wait for other processes
   instead of failing), then ``journal_mode=WAL`` and ``synchronous``
   (``NORMAL`` or ``FULL``, see ``DURABILITY``), and ``foreign_keys=ON``.
3. Every write runs inside ``Database.write()``: ``BEGIN IMMEDIATE`` takes the
   write lock up front (a deferred ``BEGIN`` that later writes fails at once
   with "database is locked" under contention; busy_timeout cannot help it),
   then ``COMMIT``; any exception rolls back.
4. One asyncio lock serialises every use of the connection inside a process,
   so a reader never sees another coroutine's uncommitted transaction and two
   coroutines never interleave statements inside one transaction.
5. SQLite's busy handler is not fair between processes (a waiter polls and
   can keep missing a lock that another window takes many times a second),
   and a few WAL cases report "database is locked" without waiting at all.
   So ``BEGIN IMMEDIATE`` and reads are retried on SQLITE_BUSY, with a short
   jittered sleep on the event loop, until ``BUSY_DEADLINE_S``; both are safe
   to repeat because nothing was written yet. A statement inside an open
   transaction is never retried.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar

import aiosqlite

Durability = Literal["normal", "full"]

# WAL + NORMAL: a commit is in the WAL file before COMMIT returns, so a killed
# process loses nothing it acknowledged; only power loss / an OS crash can
# drop the last commits. FULL also fsyncs the WAL on every commit.
DURABILITY: dict[str, str] = {"normal": "NORMAL", "full": "FULL"}
BUSY_TIMEOUT_MS = 10_000
BUSY_DEADLINE_S = 120.0  # retrying BEGIN IMMEDIATE and reads on SQLITE_BUSY stops here

Row = tuple[Any, ...]
T = TypeVar("T")


class Database:
    """One connection plus the lock that serialises its use."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.busy_retries = 0  # times SQLITE_BUSY was met and the statement repeated

    @classmethod
    async def connect(cls, target: str, durability: Durability) -> Database:
        if durability not in DURABILITY:
            raise ValueError(f"durability must be one of {sorted(DURABILITY)}, got {durability!r}")
        try:
            conn = await aiosqlite.connect(target, isolation_level=None)
        except sqlite3.Error as exc:
            raise ValueError(f"cannot open the database {target!r}: {exc}") from exc
        db = cls(conn)
        try:
            await db._configure(durability)
        except BaseException:
            await conn.close()
            raise
        return db

    async def _configure(self, durability: Durability) -> None:
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            await self._conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"not a usable SQLite database: {exc}") from exc
        await self._conn.execute(f"PRAGMA synchronous = {DURABILITY[durability]}")
        await self._conn.execute("PRAGMA foreign_keys = ON")

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Writer]:
        """A ``BEGIN IMMEDIATE`` transaction, committed on exit, rolled back on error."""
        async with self._lock:
            try:
                # BEGIN is inside the try: if we are cancelled while it is queued
                # it still runs, and the ROLLBACK queued behind it must undo it.
                await self._busy_retry(self._conn.execute, "BEGIN IMMEDIATE")
                yield Writer(self._conn)
                await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def _rollback(self) -> None:
        # Statements run in order on aiosqlite's thread, so this ROLLBACK comes
        # after anything already queued; "no transaction is active" only means
        # the COMMIT got through before a cancellation reached us.
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self._lock:
            return _rows(await self._busy_retry(self._conn.execute_fetchall, sql, params))

    async def _busy_retry(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await fn(*args)``, repeated while SQLite says the database is busy (see 5.)."""
        deadline = time.monotonic() + BUSY_DEADLINE_S
        pause = 0.005
        while True:
            try:
                return await fn(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise
            self.busy_retries += 1
            await asyncio.sleep(random.uniform(0, pause))
            pause = min(pause * 2, 0.2)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY (any extended code): another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return "database is locked" in str(exc)


def conditions(*pairs: tuple[str, Any]) -> tuple[list[str], list[Any]]:
    """The (clause, value) pairs whose value is not None, as clauses and params."""
    used = [(clause, value) for clause, value in pairs if value is not None]
    return [c for c, _ in used], [v for _, v in used]


def where(clauses: list[str]) -> str:
    return "WHERE " + " AND ".join(clauses) if clauses else ""


class Writer:
    """Statements allowed inside ``Database.write()``; only valid while it is open."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> int:
        cursor = await self._conn.executemany(sql, rows)
        return cursor.rowcount

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return _rows(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


def _rows(rows: Iterable[Any]) -> list[Row]:
    # sqlite3 hands back plain tuples (no row_factory is set); avoid copying them.
    return rows if isinstance(rows, list) else list(rows)
