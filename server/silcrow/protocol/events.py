"""Typed events: what the lexer emits and what the store keeps.

Two families live here:

* ``Token`` values are the lexer's output: pieces of one model response
  (``ThinkText``/``RespondText`` deltas, a ``CallToken`` for one parsed or
  malformed call, ``ExecuteToken``, ``EndToken``).
* ``Event`` is the stored, user-visible record (``user``, ``think``, ``call``,
  ``execute``, ``output`` (a running tool's partial output, for the user
  only), ``result``, ``respond``, ``end`` and the framework events
  ``metric``, ``error``, ``cancelled``). It carries conversation id, turn id,
  a per-conversation ``seq`` and a timestamp once the store has accepted it.

Events are frozen; ``Event.to_json`` is the one place they become wire
dicts. For library code written against Cogency's dict events an ``Event``
also reads like a read-only mapping of its field names (``event["type"]``,
``event.get("content")``, ``dict(event)``), typed per key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, overload

EventType = Literal[
    "user",
    "think",
    "call",
    "execute",
    "output",
    "result",
    "respond",
    "end",
    "metric",
    "error",
    "cancelled",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call as the model wrote it: a name and JSON-object arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ThinkText:
    kind: Literal["think"] = field(default="think", init=False)
    text: str = ""


@dataclass(frozen=True, slots=True)
class RespondText:
    kind: Literal["respond"] = field(default="respond", init=False)
    text: str = ""


@dataclass(frozen=True, slots=True)
class CallToken:
    """A complete ``§call:`` body. ``call`` is None when ``error`` says why it is malformed."""

    kind: Literal["call"] = field(default="call", init=False)
    raw: str = ""
    call: ToolCall | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ExecuteToken:
    kind: Literal["execute"] = field(default="execute", init=False)


@dataclass(frozen=True, slots=True)
class EndToken:
    kind: Literal["end"] = field(default="end", init=False)


Token = ThinkText | RespondText | CallToken | ExecuteToken | EndToken


@dataclass(frozen=True, slots=True)
class Event:
    """A stored event. ``seq`` and ``timestamp`` are assigned by the store.

    ``payload`` holds structured data: for ``call`` the call (``{"name",
    "args"}`` or ``{"raw", "error"}``), for ``result`` ``{"name", "outcome",
    "error"}``, for ``metric`` token and timing figures (or, with
    ``aborted_cycle``, the record of a failed model cycle), for ``output``
    (a piece of a running tool's output) ``{"name"}``, for token-mode
    ``think``/``respond`` deltas ``{"delta": true}``.
    """

    type: EventType
    content: str = ""
    payload: dict[str, Any] | None = None
    conversation_id: str = ""
    turn_id: str = ""
    seq: int = 0
    timestamp: float = 0.0

    # -- read like Cogency's dict events (keys are the field names) -------------
    @overload
    def __getitem__(self, key: Literal["type"]) -> EventType: ...
    @overload
    def __getitem__(self, key: Literal["content", "conversation_id", "turn_id"]) -> str: ...
    @overload
    def __getitem__(self, key: Literal["payload"]) -> dict[str, Any] | None: ...
    @overload
    def __getitem__(self, key: Literal["seq"]) -> int: ...
    @overload
    def __getitem__(self, key: Literal["timestamp"]) -> float: ...
    @overload
    def __getitem__(self, key: str) -> object: ...
    def __getitem__(self, key: str) -> object:
        if key not in EVENT_KEYS:
            raise KeyError(f"{key!r}: an event has the keys {', '.join(EVENT_KEYS)}")
        return getattr(self, key)

    def get(self, key: str, default: object = None) -> object:
        """``event[key]``, or ``default`` for a key events do not have (as ``dict.get``)."""
        return getattr(self, key) if key in EVENT_KEYS else default

    def keys(self) -> tuple[str, ...]:
        return EVENT_KEYS

    def __contains__(self, key: object) -> bool:
        return key in EVENT_KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(EVENT_KEYS)

    @property
    def is_delta(self) -> bool:
        return bool(self.payload and self.payload.get("delta"))

    @property
    def aborted_cycle(self) -> bool:
        """The record of a model cycle that failed mid-reply (a ``metric``; an ``error`` in old logs)."""
        return self.type in ("metric", "error") and bool(
            self.payload and self.payload.get("aborted_cycle")
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON shape shared by the store's API and the editor contract."""
        out: dict[str, Any] = {
            "conversationId": self.conversation_id,
            "turnId": self.turn_id,
            "seq": self.seq,
            "type": self.type,
            "content": self.content,
            "timestamp": self.timestamp,
        }
        if self.payload is not None:
            out["payload"] = self.payload
        return out


EVENT_KEYS: tuple[str, ...] = (
    "type",
    "content",
    "payload",
    "conversation_id",
    "turn_id",
    "seq",
    "timestamp",
)
