"""EventStore: the append-only event log, conversations, profiles and recall.

Algorithm (append / append_many):
1. Validate and serialise every event before touching the database, so bad
   input fails with a clear ValueError and nothing is written.
2. In one ``BEGIN IMMEDIATE`` transaction: read the last seq of each
   conversation in the batch (an unknown id raises ValueError, rolling back),
   give each event ``last + 1`` in batch order and ``time.time()`` when its
   timestamp is 0, insert them (a trigger bumps ``conversations.updated_at``),
   and re-index the turns that a ``user``/``end``/``cancelled``/``error``
   event touched.
3. COMMIT, then hand back the stored events. Because the write lock is taken
   at BEGIN, two processes appending to one conversation serialise and every
   seq is given exactly once; the (conversation_id, seq) primary key makes a
   duplicate impossible even if that reasoning were wrong.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from silcrow.protocol.events import Event
from silcrow.store import recall
from silcrow.store.checkpoints import Checkpoints
from silcrow.store.db import Database, Durability, Writer, conditions, where
from silcrow.store.migrations import migrate
from silcrow.store.paths import resolve_db_path
from silcrow.store.records import (
    CONVERSATION_COLUMNS,
    EVENT_COLUMNS,
    Conversation,
    SearchHit,
    check_event,
    dump_json,
    encode_payload,
    event_row,
    row_conversation,
    row_event,
)

_INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"


class EventStore:
    """The only writer of SQL in Silcrow. Open with ``await EventStore.open(...)``."""

    def __init__(self, db: Database, path: str) -> None:
        self._db = db
        self.path = path
        self.checkpoints = Checkpoints(db)  # the files each turn changed (store.checkpoints)

    @classmethod
    async def open(
        cls, path: str | Path | None = None, *, durability: Durability = "normal"
    ) -> EventStore:
        """Open (creating and migrating if needed) the database at ``path``.

        ``path`` None means ``$SILCROW_DB`` or the user data directory;
        ``":memory:"`` gives a private in-memory store.
        """
        target = resolve_db_path(path)
        db = await Database.connect(target, durability)
        try:
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db, target)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> EventStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- conversations -------------------------------------------------------

    async def create_conversation(
        self,
        *,
        workspace: str = "",
        user_id: str = "",
        title: str = "",
        conversation_id: str | None = None,
    ) -> Conversation:
        now = time.time()
        conv = Conversation(
            conversation_id or uuid.uuid4().hex, workspace, user_id, title, now, now
        )
        async with self._db.write() as w:
            if await w.fetchone("SELECT 1 FROM conversations WHERE id = ?", (conv.id,)):
                raise ValueError(f"conversation {conv.id!r} already exists; pick another id")
            await w.execute(
                f"INSERT INTO conversations ({CONVERSATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                dataclasses.astuple(conv),
            )
        return conv

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        row = await self._db.fetchone(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
        )
        return None if row is None else row_conversation(row)

    async def list_conversations(
        self, *, workspace: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> list[Conversation]:
        """Most recently updated first."""
        clauses, params = conditions(("workspace = ?", workspace), ("user_id = ?", user_id))
        rows = await self._db.fetchall(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations {where(clauses)} "
            "ORDER BY updated_at DESC, rowid DESC LIMIT ?",
            [*params, limit],
        )
        return [row_conversation(row) for row in rows]

    async def set_title(self, conversation_id: str, title: str) -> None:
        async with self._db.write() as w:
            changed = await w.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)
            )
            if not changed:
                raise _unknown(conversation_id)

    # -- events --------------------------------------------------------------

    async def append(self, event: Event) -> Event:
        """Store one event; it is committed before this returns."""
        return (await self.append_many([event]))[0]

    async def append_many(self, events: Sequence[Event]) -> list[Event]:
        """Store events in one transaction, with consecutive seqs per conversation."""
        for event in events:
            check_event(event)
        payloads = [encode_payload(e) for e in events]  # fails before BEGIN, not inside
        if not events:
            return []
        async with self._db.write() as w:
            stored = await self._number(w, events)
            await w.executemany(_INSERT_EVENT, map(event_row, stored, payloads))
            await recall.index_turns(w, recall.turns_to_index(stored))
        return stored

    async def _number(self, w: Writer, events: Sequence[Event]) -> list[Event]:
        ids = sorted({e.conversation_id for e in events})
        marks = ", ".join("?" * len(ids))
        rows = await w.fetchall(
            "SELECT c.id, (SELECT coalesce(max(seq), 0) FROM events e "
            f"WHERE e.conversation_id = c.id) FROM conversations c WHERE c.id IN ({marks})",
            ids,
        )
        last: dict[str, int] = dict(rows)
        for conversation_id in ids:
            if conversation_id not in last:
                raise _unknown(conversation_id)
        now = time.time()
        stored: list[Event] = []
        for event in events:
            last[event.conversation_id] += 1
            stored.append(
                dataclasses.replace(
                    event,
                    seq=last[event.conversation_id],
                    timestamp=event.timestamp or now,
                )
            )
        return stored

    async def events(
        self, conversation_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[Event]:
        """Events of a conversation with seq > ``after_seq``, in seq order."""
        rows = await self._db.fetchall(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE conversation_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, -1 if limit is None else limit),
        )
        return [row_event(row) for row in rows]

    async def last_seq(self, conversation_id: str) -> int:
        row = await self._db.fetchone(
            "SELECT coalesce(max(seq), 0) FROM events WHERE conversation_id = ?", (conversation_id,)
        )
        return int(row[0]) if row else 0

    async def count_events(
        self,
        conversation_id: str | None = None,
        *,
        type: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """How many events match every filter given (e.g. a user's ``user`` events)."""
        clauses, params = conditions(
            ("e.conversation_id = ?", conversation_id),
            ("e.type = ?", type),
            ("c.user_id = ?", user_id),
        )
        join = "JOIN conversations c ON c.id = e.conversation_id" if user_id is not None else ""
        row = await self._db.fetchone(
            f"SELECT count(*) FROM events e {join} {where(clauses)}", params
        )
        return int(row[0]) if row else 0

    # -- recall --------------------------------------------------------------

    async def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        workspace: str | None = None,
        exclude_conversation: str | None = None,
        limit: int = 5,
    ) -> list[SearchHit]:
        """Past turns matching free text, most relevant first; '' or punctuation gives []."""
        return await recall.search(
            self._db,
            query,
            user_id=user_id,
            workspace=workspace,
            exclude_conversation=exclude_conversation,
            limit=limit,
        )

    # -- profiles ------------------------------------------------------------

    async def get_profile(self, user_id: str) -> dict[str, Any] | None:
        row = await self._db.fetchone("SELECT profile FROM profiles WHERE user_id = ?", (user_id,))
        return None if row is None else _load_profile(row[0])

    async def set_profile(self, user_id: str, profile: dict[str, Any]) -> None:
        if not isinstance(profile, dict):
            raise ValueError(f"profile must be a dict, got {type(profile).__name__}")
        text = dump_json(profile, "profile")
        async with self._db.write() as w:
            await w.execute(
                "INSERT INTO profiles (user_id, profile, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET profile = excluded.profile, "
                "updated_at = excluded.updated_at",
                (user_id, text, time.time()),
            )


def _unknown(conversation_id: str) -> ValueError:
    return ValueError(
        f"unknown conversation {conversation_id!r}; create it with create_conversation() first"
    )


def _load_profile(text: str) -> dict[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
