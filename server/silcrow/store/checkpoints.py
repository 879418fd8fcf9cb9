"""Checkpoints: per turn and file, the text before the turn's first change and what it left.

Owns the ``checkpoints`` table (migration ``m003_checkpoints``); the agent
records through it (``silcrow.agent.changes``) and reverts from it
(``silcrow.agent.revert``). A row's ``before`` is None when the file did
not exist before the turn, ``after`` None when the turn left no file.

No secret is stored: ``after`` is kept only as a digest of the text
(``content_digest``: conflicts are found by comparing digests), and a
``before`` the caller marks ``secret`` (it holds a credential, as
``silcrow.tools.redact`` sees it) is kept in this object's memory only, the
row saying ``held``; after a restart such a row has no text
(``Checkpoint.lost``) and a revert reports the file instead of restoring it.

Algorithm:
1. ``record`` runs before each change is applied: the first record of a
   (conversation, turn, path) keeps ``before`` (in memory when ``secret``);
   every later one only moves ``after`` (so several changes to one file in a turn keep the oldest
   text). A crash between the record and the write leaves ``after`` ahead of
   the file, which a revert reports as a conflict: never a silent loss.
2. ``since(conversation, turn)`` gives the rows of that turn and of every
   later turn, oldest first; turns are ordered by their first stored event,
   so a turn that changed nothing still marks where "later" begins. An
   unknown turn is a ``ValueError`` naming it.
3. ``forget`` deletes the rows of reverted turns.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

from silcrow.store.db import Database


def content_digest(text: str | None) -> str | None:
    """How ``after`` is stored and compared: a SHA-256 of the text (None: no file)."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    turn_id: str
    path: str
    before: str | None
    after: str | None  # content_digest of what the turn left
    time: float
    lost: bool = False  # ``before`` held a secret and was kept in a memory since gone


_COLUMNS = "turn_id, path, before, after, time, held"


class Checkpoints:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._held: dict[tuple[str, str, str], str] = {}  # secret ``before`` texts (module doc)

    async def record(
        self,
        conversation_id: str,
        turn_id: str,
        path: str,
        before: str | None,
        after: str | None,
        *,
        secret: bool = False,
    ) -> None:
        """Step 1: keep the first ``before`` of the turn's file, move ``after``."""
        key = (conversation_id, turn_id, path)
        if secret and before is not None:
            self._held.setdefault(key, before)
        async with self._db.write() as w:
            await w.execute(
                f"INSERT INTO checkpoints (conversation_id, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (conversation_id, turn_id, path) DO UPDATE SET after = excluded.after",
                (
                    *key,
                    None if secret else before,
                    content_digest(after),
                    time.time(),
                    int(secret and before is not None),
                ),
            )

    def _row(self, conversation_id: str, row: Sequence[object]) -> Checkpoint:
        turn_id, path, before, after, at, held = row
        assert isinstance(turn_id, str) and isinstance(path, str) and isinstance(at, float)
        assert before is None or isinstance(before, str)
        assert after is None or isinstance(after, str)
        if not held:
            return Checkpoint(turn_id, path, before, after, at)
        kept = self._held.get((conversation_id, turn_id, path))
        return Checkpoint(turn_id, path, kept, after, at, lost=kept is None)

    async def of(self, conversation_id: str) -> list[Checkpoint]:
        """Every row of the conversation, oldest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM checkpoints WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [self._row(conversation_id, row) for row in rows]

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
        return [self._row(conversation_id, row) for row in rows]

    async def forget(self, conversation_id: str, turn_ids: Sequence[str]) -> None:
        """Step 3: the rows of reverted turns go."""
        if not turn_ids:
            return
        marks = ", ".join("?" * len(turn_ids))
        for key in [k for k in self._held if k[0] == conversation_id and k[1] in turn_ids]:
            del self._held[key]
        async with self._db.write() as w:
            await w.execute(
                f"DELETE FROM checkpoints WHERE conversation_id = ? AND turn_id IN ({marks})",
                (conversation_id, *turn_ids),
            )
