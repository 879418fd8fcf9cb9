"""Checkpoints: per turn and file, the text before the turn's first change and what it left.

Owns the ``checkpoints`` table (migration ``m003_checkpoints``); the agent
records through it (``silcrow.agent.changes``) and reverts from it
(``silcrow.agent.revert``). A row's ``before`` is None when the file did
not exist before the turn, ``after`` None when the turn left no file.

Algorithm:
1. ``record`` runs before each change is applied: the first record of a
   (conversation, turn, path) keeps ``before``; every later one only moves
   ``after`` (so several changes to one file in a turn keep the oldest
   text). A crash between the record and the write leaves ``after`` ahead of
   the file, which a revert reports as a conflict: never a silent loss.
2. ``since(conversation, turn)`` gives the rows of that turn and of every
   later turn, oldest first; turns are ordered by their first stored event,
   so a turn that changed nothing still marks where "later" begins. An
   unknown turn is a ``ValueError`` naming it.
3. ``forget`` deletes the rows of reverted turns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from silcrow.store.db import Database


@dataclass(frozen=True, slots=True)
class Checkpoint:
    turn_id: str
    path: str
    before: str | None
    after: str | None
    time: float


_COLUMNS = "turn_id, path, before, after, time"


class Checkpoints:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, conversation_id: str, turn_id: str, path: str, before: str | None, after: str | None
    ) -> None:
        """Step 1: keep the first ``before`` of the turn's file, move ``after``."""
        async with self._db.write() as w:
            await w.execute(
                f"INSERT INTO checkpoints (conversation_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (conversation_id, turn_id, path) DO UPDATE SET after = excluded.after",
                (conversation_id, turn_id, path, before, after, time.time()),
            )

    async def of(self, conversation_id: str) -> list[Checkpoint]:
        """Every row of the conversation, oldest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM checkpoints WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [Checkpoint(*row) for row in rows]

    async def since(self, conversation_id: str, turn_id: str) -> list[Checkpoint]:
        """Step 2: rows of ``turn_id`` and of every later turn, oldest first."""
        first = await self._db.fetchone(
            "SELECT min(seq) FROM events WHERE conversation_id = ? AND turn_id = ?",
            (conversation_id, turn_id),
        )
        if first is None or first[0] is None:
            raise ValueError(
                f"turn {turn_id} is not a turn of conversation {conversation_id}; "
                "take the turnId from silcrow/checkpoints or the turn's events"
            )
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM checkpoints c WHERE c.conversation_id = ? AND "
            "(SELECT min(seq) FROM events e WHERE e.conversation_id = c.conversation_id "
            "AND e.turn_id = c.turn_id) >= ? ORDER BY c.id",
            (conversation_id, first[0]),
        )
        return [Checkpoint(*row) for row in rows]

    async def forget(self, conversation_id: str, turn_ids: Sequence[str]) -> None:
        """Step 3: the rows of reverted turns go."""
        if not turn_ids:
            return
        marks = ", ".join("?" * len(turn_ids))
        async with self._db.write() as w:
            await w.execute(
                f"DELETE FROM checkpoints WHERE conversation_id = ? AND turn_id IN ({marks})",
                (conversation_id, *turn_ids),
            )
