"""Value types the store hands out, and the row <-> value conversions.

``Conversation`` and ``SearchHit`` are frozen dataclasses. Events are
``silcrow.protocol.events.Event``; ``event_row``/``row_event`` are the only
places an Event becomes a row and back (payload as compact JSON text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from silcrow.protocol.events import EVENT_TYPES, Event

EVENT_COLUMNS = "conversation_id, seq, turn_id, type, content, payload, timestamp"
CONVERSATION_COLUMNS = "id, workspace, user_id, title, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    workspace: str
    user_id: str
    title: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One turn found by ``EventStore.search``; a higher ``score`` is more relevant."""

    conversation_id: str
    turn_id: str
    title: str
    snippet: str
    timestamp: float
    score: float


def row_conversation(row: tuple[Any, ...]) -> Conversation:
    return Conversation(*row)


def dump_json(value: Any, what: str) -> str:
    """Compact, stable JSON; a clear ValueError for values JSON cannot hold."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable: {exc}") from exc


def check_event(event: Event) -> None:
    """Reject what cannot be stored, naming the field to fix."""
    if not isinstance(event, Event):
        raise ValueError(
            f"append expects silcrow.protocol.events.Event, got {type(event).__name__}"
        )
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.type!r}; expected one of {EVENT_TYPES}")
    if not event.conversation_id:
        raise ValueError(f"{event.type} event has no conversation_id; create a conversation first")
    if not isinstance(event.content, str):
        raise ValueError(
            f"{event.type} event content must be str, got {type(event.content).__name__}"
        )
    if event.payload is not None and not isinstance(event.payload, dict):
        raise ValueError(f"{event.type} event payload must be a dict or None")


def encode_payload(event: Event) -> str | None:
    return None if event.payload is None else dump_json(event.payload, f"{event.type} payload")


def event_row(event: Event, payload: str | None) -> tuple[Any, ...]:
    """The events-table row of a numbered event; ``payload`` from ``encode_payload``."""
    return (
        event.conversation_id,
        event.seq,
        event.turn_id,
        event.type,
        event.content,
        payload,
        event.timestamp,
    )


def row_event(row: tuple[Any, ...]) -> Event:
    conversation_id, seq, turn_id, type_, content, payload, timestamp = row
    return Event(
        type=type_,
        content=content,
        payload=None if payload is None else json.loads(payload),
        conversation_id=conversation_id,
        turn_id=turn_id,
        seq=seq,
        timestamp=timestamp,
    )
