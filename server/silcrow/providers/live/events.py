"""Decoded server events: the whole vocabulary a live session acts on.

Each transport's sans-I/O ``decode(frame)`` turns one server frame into a
list of these frozen dataclasses; sessions never read wire dicts.
"""

from __future__ import annotations

from dataclasses import dataclass

from silcrow.providers.base import Usage


@dataclass(frozen=True, slots=True)
class Started:
    """A response (``response_id``) or its output item (``item_id``) began."""

    response_id: str = ""
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The response is over; ``usage`` is None when the frame carried none.

    ``status`` and ``reason`` are the vendor's (``live.stops`` maps them);
    ``detail`` is a refusal's text when the output held one.
    """

    usage: Usage | None = None
    status: str = "completed"
    response_id: str = ""
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Billed:
    """Usage figures that arrived apart from the end of the response."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class Failed:
    code: str
    message: str
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class Ack:
    """The server confirmed something: ``what`` names it, ``ref`` is its id."""

    what: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class Handle:
    """A Gemini Live session resumption handle."""

    handle: str


@dataclass(frozen=True, slots=True)
class GoAway:
    time_left: str = ""


WireEvent = Started | Text | Finished | Billed | Failed | Ack | Handle | GoAway
