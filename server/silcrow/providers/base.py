"""The provider seam: messages, stream items, capabilities, live sessions.

Algorithm (what every adapter promises):
1. ``Provider.stream(messages, stop=...)`` (replay) sends the whole context in
   one streaming request and yields ``TextDelta`` items, then at the end of
   the reply at most one ``Stop`` (why the model stopped, mapped from the
   vendor's own field to ``StopReason``) and at most one ``Usage`` (the
   provider's own usage fields, summed for the request). Both come after the
   last ``TextDelta``: a consumer that stops reading at ``§end`` or
   ``§execute`` must drain the rest of the stream to get them.
2. ``Provider.open(messages)`` (resume) opens a live session that holds the
   given history without generating. ``LiveSession.send(text)`` appends a
   user-role message and yields the reply as ``TextDelta`` and ``Usage``.
3. When the consumer stops reading early (it saw ``§execute``), it calls
   ``LiveSession.truncate(kept)``: the session stops or drains generation and
   makes the model remember exactly ``kept`` as its reply. The usage of such
   a reply rides on the next reply's ``Usage``; when no reply follows (the
   turn ended at ``§end``), ``LiveSession.settle()`` finishes it and
   returns that usage, so every billed token is reported once, in its turn.
4. Failures raise ``ProviderError`` subclasses with a message a person can act
   on; ``retryable`` says whether the same request may be sent again.
Capabilities are declared in ``Capabilities``, never detected with hasattr.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from silcrow.protocol.messages import Image, Message, Role

__all__ = [
    "AuthError",
    "Capabilities",
    "Image",
    "LiveSession",
    "Message",
    "Overloaded",
    "Provider",
    "ProviderError",
    "RateLimited",
    "Role",
    "SessionLost",
    "Stop",
    "StopReason",
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


class StopReason(StrEnum):
    """Why one model reply ended, the same for every vendor.

    Adapters map the vendor's field (``finish_reason``, ``stop_reason``,
    ``finishReason``, a response ``status``) to one of these and keep the
    vendor's own value in ``Stop.vendor_reason``. A stop sequence is ``END``;
    a value an adapter does not know is ``END`` too (the reply is not lost),
    with the unknown value kept for the log.
    """

    END = "end"  # natural end or a stop sequence
    LENGTH = "length"  # the output token cap (reasoning tokens count towards it)
    REFUSAL = "refusal"  # the model declined to answer
    SAFETY = "safety"  # a content filter / safety block cut or withheld the reply
    TOOL = "tool"  # the vendor stopped for a native tool call
    CANCELLED = "cancelled"  # the reply was cancelled (client or server side)
    ERROR = "error"  # the vendor ended the reply as failed or malformed


@dataclass(frozen=True, slots=True)
class Stop:
    """The end of one reply: the mapped reason, the vendor's own value, detail.

    ``detail`` is text for a person when the vendor gave one (a refusal
    message, a safety category); empty otherwise.
    """

    kind: Literal["stop"] = field(default="stop", init=False)
    reason: StopReason = StopReason.END
    vendor_reason: str = ""
    detail: str = ""

    @property
    def normal(self) -> bool:
        """A plain end: nothing to tell the user."""
        return self.reason is StopReason.END


StreamItem = TextDelta | Usage | Stop


@dataclass(frozen=True, slots=True)
class Capabilities:
    resume: bool = False
    stop_sequences: bool = False  # replay honours ``stop=``
    images: bool = False  # replay sends ``Message.images`` (live sessions never do)


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

    async def settle(self) -> Usage:
        """Finish a reply the reader stopped early; return the usage not reported yet."""
        ...

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
