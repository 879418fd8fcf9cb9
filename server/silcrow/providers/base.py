"""The provider seam: messages, stream items, capabilities, live sessions.

Algorithm (what every adapter promises):
1. ``Provider.stream(messages, stop=...)`` (replay) sends the whole context in
   one streaming request and yields ``TextDelta`` items then at most one
   ``Usage`` (the provider's own usage fields, summed for the request).
2. ``Provider.open(messages)`` (resume) opens a live session that holds the
   given history without generating. ``LiveSession.send(text)`` appends a
   user-role message and yields the reply as ``TextDelta`` and ``Usage``.
3. When the consumer stops reading early (it saw ``§execute``), it calls
   ``LiveSession.truncate(kept)``: the session stops or drains generation and
   makes the model remember exactly ``kept`` as its reply.
4. Failures raise ``ProviderError`` subclasses with a message a person can act
   on; ``retryable`` says whether the same request may be sent again.
Capabilities are declared in ``Capabilities``, never detected with hasattr.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from silcrow.protocol.messages import Message, Role

__all__ = [
    "AuthError",
    "Capabilities",
    "LiveSession",
    "Message",
    "Overloaded",
    "Provider",
    "ProviderError",
    "RateLimited",
    "Role",
    "SessionLost",
    "StreamItem",
    "TextDelta",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    kind: Literal["delta"] = field(default="delta", init=False)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token figures from the provider's own usage fields, plus bytes we sent.

    ``input_tokens`` counts every input token billed for the response,
    including ``cached_tokens`` and ``cache_write_tokens`` (adapters normalise
    Anthropic, whose counts are disjoint). ``sent_bytes`` is what this request
    or message put on the wire: the "wire" figure, as opposed to billed tokens.
    """

    kind: Literal["usage"] = field(default="usage", init=False)
    input_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    sent_bytes: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            sent_bytes=self.sent_bytes + other.sent_bytes,
        )


StreamItem = TextDelta | Usage


@dataclass(frozen=True, slots=True)
class Capabilities:
    resume: bool = False
    stop_sequences: bool = False  # replay honours ``stop=``


class ProviderError(Exception):
    """A provider failed; ``str(err)`` says what to fix."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class AuthError(ProviderError):
    """Missing or rejected credentials; the message names the variable to set."""


class RateLimited(ProviderError):
    retryable = True


class Overloaded(ProviderError):
    retryable = True


class SessionLost(ProviderError):
    """A live session dropped or expired; reopen from the store or fall back to replay."""

    retryable = True


@runtime_checkable
class LiveSession(Protocol):
    def send(self, text: str) -> AsyncIterator[StreamItem]: ...

    async def truncate(self, kept: str) -> None: ...

    async def close(self) -> None: ...

    @property
    def alive(self) -> bool: ...


@runtime_checkable
class Provider(Protocol):
    name: str
    model: str
    capabilities: Capabilities

    def stream(
        self, messages: Sequence[Message], *, stop: Sequence[str] = ()
    ) -> AsyncIterator[StreamItem]: ...

    async def open(self, messages: Sequence[Message]) -> LiveSession: ...

    async def aclose(self) -> None: ...
