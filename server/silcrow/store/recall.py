"""The recall index: one FTS5 document per turn, and search over it.

Algorithm:
1. A turn's document is its user text plus its respond text. Respond text is
   the token-mode deltas (payload ``{"delta": true}``) joined in seq order; a
   turn stored in semantic mode (no deltas) uses its whole respond events.
2. ``index_turns`` runs inside the append transaction: for every turn touched
   by a ``user`` event (so a turn in progress is findable) or closed by an
   ``end``, ``cancelled`` or ``error`` event, it rebuilds the document from
   the events table and upserts it into ``turns``; triggers keep the FTS5
   table ``recall`` (external content) in step.
3. ``fts_query`` turns free text into a safe FTS5 expression: whitespace
   split, every piece quoted as a phrase (``"`` doubled), pieces without a
   letter or digit dropped, joined with OR so bm25 ranks turns matching more
   terms first. Punctuation therefore never reaches the FTS5 parser.
4. ``search`` ranks with ``bm25`` (score = -bm25, higher is better) and cuts
   a short ``snippet()`` around the match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from silcrow.protocol.events import Event
from silcrow.store.db import Database, Writer, conditions, where
from silcrow.store.records import SearchHit

INDEXING_TYPES = frozenset({"user", "end", "cancelled", "error"})
MAX_QUERY_TERMS = 32
SNIPPET_TOKENS = 12
_WORDLIKE = re.compile(r"[^\W_]")


def turns_to_index(events: Sequence[Event]) -> dict[tuple[str, str], float]:
    """(conversation, turn) -> timestamp of its last indexing event in this batch."""
    touched: dict[tuple[str, str], float] = {}
    for event in events:
        if event.type in INDEXING_TYPES:
            touched[(event.conversation_id, event.turn_id)] = event.timestamp
    return touched


def turn_document(rows: Iterable[tuple[str, str, str | None]]) -> tuple[str, str]:
    """(type, content, payload JSON) rows in seq order -> (user text, respond text)."""
    users: list[str] = []
    deltas: list[str] = []
    wholes: list[str] = []
    for type_, content, payload in rows:
        if type_ == "user":
            users.append(content)
        elif payload is not None and json.loads(payload).get("delta"):
            deltas.append(content)
        else:
            wholes.append(content)
    return "\n".join(users), "".join(deltas) if deltas else "\n".join(wholes)


async def index_turns(w: Writer, touched: dict[tuple[str, str], float]) -> None:
    for (conversation_id, turn_id), timestamp in touched.items():
        rows = await w.fetchall(
            # INDEXED BY: left to itself SQLite walks the primary key (the whole
            # conversation) to honour ORDER BY seq; the turn index already holds seq.
            "SELECT type, content, payload FROM events INDEXED BY events_by_turn "
            "WHERE conversation_id = ? AND turn_id = ? AND type IN ('user', 'respond') "
            "ORDER BY seq",
            (conversation_id, turn_id),
        )
        user_text, respond_text = turn_document(rows)
        await w.execute(
            "INSERT INTO turns (conversation_id, turn_id, user_text, respond_text, timestamp) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id, turn_id) DO UPDATE SET "
            "user_text = excluded.user_text, respond_text = excluded.respond_text, "
            "timestamp = excluded.timestamp",
            (conversation_id, turn_id, user_text, respond_text, timestamp),
        )


def fts_query(text: str) -> str:
    """Free text -> an FTS5 MATCH expression that cannot be a syntax error ('' if no terms)."""
    # NUL ends a C string inside SQLite, so it would cut a quoted phrase short.
    pieces = [p for p in text.replace("\x00", " ").split() if _WORDLIKE.search(p)]
    pieces = pieces[:MAX_QUERY_TERMS]
    return " OR ".join('"' + p.replace('"', '""') + '"' for p in pieces)


async def search(
    db: Database,
    query: str,
    *,
    user_id: str | None,
    workspace: str | None,
    exclude_conversation: str | None,
    limit: int,
) -> list[SearchHit]:
    match = fts_query(query)
    if not match or limit <= 0:
        return []
    clauses, params = conditions(
        ("recall MATCH ?", match),
        ("c.user_id = ?", user_id),
        ("c.workspace = ?", workspace),
        ("t.conversation_id != ?", exclude_conversation),
    )
    rows = await db.fetchall(
        "SELECT t.conversation_id, t.turn_id, c.title, "
        f"snippet(recall, -1, '', '', '…', {SNIPPET_TOKENS}), t.timestamp, -bm25(recall) "
        "FROM recall JOIN turns t ON t.id = recall.rowid "
        "JOIN conversations c ON c.id = t.conversation_id "
        f"{where(clauses)} ORDER BY bm25(recall) LIMIT ?",
        [*params, limit],
    )
    return [SearchHit(*row) for row in rows]
