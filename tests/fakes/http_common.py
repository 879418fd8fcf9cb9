"""Shared pieces of the loopback HTTP fakes: the wire contract, SSE framing, faults.

Each vendor module (``http_openai``, ``http_anthropic``, ``http_gemini``)
provides one ``Wire``: how that vendor checks keys, parses a request into
the context the model sees, shapes errors, and frames a streamed reply.
``http_server`` drives them; nothing here does I/O. A reply is cut before
the first stop sequence (``cut_at_stop``) and then at the request's output
token cap (``cut_at_limit``, counted with ``count_tokens``); a capped reply
ends with the vendor's length stop (``length``, ``max_tokens``,
``MAX_TOKENS``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from silcrow.testing import Bill, count_tokens

FaultKind = Literal["status", "drop", "stream_error", "malformed"]


class BadRequest(Exception):
    """The request breaks the vendor's rules; answered with 400 in the vendor's shape."""


@dataclass(frozen=True, slots=True)
class Parsed:
    model: str
    context: str  # what the model sees, for billing
    stop: tuple[str, ...] = ()
    include_usage: bool = True
    cache_marked: bool = False  # Anthropic: the request has cache breakpoints
    max_output: int | None = None  # the request's output token cap


@dataclass(frozen=True, slots=True)
class Plan:
    """One reply about to be streamed."""

    parsed: Parsed
    text: str  # the reply, cut before the first stop sequence
    chunks: list[str]
    stop_hit: str | None
    bill: Bill
    response_id: str
    capped: bool = False  # cut at the output token cap: a length stop


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    status: int = 0
    after: int = 0  # text chunks sent before a stream fault fires
    retry_after: float | None = None
    error_type: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    vendor: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    bytes: int
    tokens: int
    fault: Fault | None = field(default=None)


class Wire(Protocol):
    vendor: str
    sse_newline: str
    retry_in_body: bool  # a 429's wait goes in the error body (Gemini), not Retry-After

    def check_headers(
        self, headers: Mapping[str, str], query: Mapping[str, str], key: str
    ) -> tuple[int, str] | None:
        """None when the key (and required headers) are right, else (status, message)."""

    def parse(self, doc: Any, path_model: str, query: Mapping[str, str]) -> Parsed: ...

    def error(self, status: int, message: str, retry_after: float | None = None) -> bytes: ...

    def head(self, plan: Plan) -> list[bytes]: ...

    def delta(self, plan: Plan, text: str, sent: str) -> bytes: ...

    def tail(self, plan: Plan, *, usage: bool) -> list[bytes]: ...

    def stream_error(self, error_type: str, message: str) -> bytes: ...


def sse(data: Any, *, event: str | None = None, newline: str = "\n") -> bytes:
    """One SSE frame; ``data`` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}{newline}" if event else ""
    return f"{head}data: {payload}{newline}{newline}".encode()


MALFORMED = b'data: {"choices": [{"delta": {"content": "half\n\n'


def cut_at_stop(reply: str, stop: Sequence[str]) -> tuple[str, str | None]:
    """Cut before the earliest stop sequence, as vendors do; return (text, stop hit)."""
    best, hit = len(reply), None
    for s in stop:
        i = reply.find(s) if s else -1
        if i != -1 and i < best:
            best, hit = i, s
    return reply[:best], hit


def cut_at_limit(text: str, limit: int | None) -> tuple[str, bool]:
    """Keep at most ``limit`` tokens (``count_tokens``'s tokens); return (text, was cut)."""
    if limit is None or count_tokens(text) <= limit:
        return text, False
    low, high = 0, len(text)  # the longest prefix within the cap (counts only grow)
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if count_tokens(text[:mid]) <= limit else (low, mid - 1)
    return text[:low], True


def text_of(content: Any) -> str:
    """Text of a string or of a list of ``{"text": ...}`` blocks/parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    raise BadRequest(f"content must be a string or a list of blocks, got {type(content).__name__}")


def need(doc: Any, key: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise BadRequest(f"{where}{key}: Field required")
    value = doc[key]
    if not isinstance(value, kind):
        raise BadRequest(f"{where}{key}: wrong type {type(value).__name__}")
    return value
