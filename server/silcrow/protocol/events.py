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

Events are frozen; ``Event.to_json`` is the one place they become dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
EVENT_TYPES: tuple[EventType, ...] = (
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
)


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
