"""The scripted provider (``provider: "fake"``): tests and the offline demo.

Library users import it as ``silcrow.testing``.

Nothing here talks to a network. ``FakeProvider`` is what the ``provider:
"fake"`` setting (with ``fakeScript``) and ``SILCROW_PROVIDER=fake`` (with
``SILCROW_FAKE_SCRIPT``) select in every front-end.

Algorithm:
1. A ``Script`` is a list of replies, one per model response (a tool cycle or
   the final answer), consumed in order. Each reply is cut into chunks of
   ``chunk`` characters (the last one shorter), sent ``delay`` seconds apart.
   When the script runs out, ``next_reply`` returns ``fallback`` (a short
   respond + end), so a misbehaving loop ends instead of hanging.
2. ``count_tokens`` is the stated counting rule of every fake: one token per
   run of word characters and one per other non-space character (no
   tokenizer offline; applied identically everywhere, so ratios between modes
   are meaningful). The ``Ledger`` bills each response for its whole context;
   ``cached`` is the prefix shared with the previous context on the same key
   (what a vendor's prompt cache would discount); ``received_*`` count only
   what arrived for this response.
3. ``FakeProvider.stream(messages, stop=...)`` records the messages, takes the
   next reply, cuts it before the first stop sequence (as vendors do) and
   yields it in chunks, then one ``Usage`` from the ledger.
4. ``FakeProvider.open(messages)`` returns a ``FakeLiveSession``: ``send(text)``
   streams the next reply in full (live APIs have no stop sequence), so the
   consumer stops reading and calls ``truncate(kept)``, which replaces the
   reply in the session's history with ``kept``.
5. Faults on cue: ``fail_open`` (opening raises ``SessionLost``),
   ``open_errors`` (raised by the next opens, e.g. a 404 handshake),
   ``drop_after`` (a live reply raises ``SessionLost`` after N chunks) and
   ``replay_errors`` (raised by the next replay requests). Everything sent is
   recorded (``requests``, ``live_sent``) and billed in ``ledger``.
6. ``scripted(cfg)`` is the registry's adapter for the name "fake": the script
   comes from ``cfg.extra["fake_script"]`` (``{replies, chunk, delay}``, and
   for the offline demo of ``silcrow.providers.demo`` also ``fallback`` and
   ``usage: false``: a demo has no model, so it reports no token counts).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from silcrow.protocol.messages import Message
from silcrow.providers.base import Capabilities, SessionLost, StreamItem, TextDelta, Usage
from silcrow.providers.config import ProviderConfig
from silcrow.providers.errors import ConfigError

__all__ = [
    "Bill",
    "FakeLiveSession",
    "FakeProvider",
    "Ledger",
    "Script",
    "chunked",
    "count_tokens",
    "scripted",
]

_TOKEN = re.compile(r"\w+|[^\w\s]")

DEFAULT_FALLBACK = "§respond: (the scripted fake has no more replies)\n§end\n"


def count_tokens(text: str) -> int:
    """Approximate token count: word runs plus punctuation marks."""
    return sum(1 for _ in _TOKEN.finditer(text))


def chunked(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for i in range(0, len(text), size):
        yield text[i : i + size]


@dataclass
class Script:
    replies: list[str] = field(default_factory=list)
    chunk: int = 4
    delay: float = 0.0
    fallback: str = DEFAULT_FALLBACK
    _next: int = 0

    @classmethod
    def of(cls, replies: Sequence[str], *, chunk: int = 4, delay: float = 0.0) -> Script:
        return cls(list(replies), chunk=chunk, delay=delay)

    def next_reply(self) -> str:
        if self._next < len(self.replies):
            reply = self.replies[self._next]
            self._next += 1
            return reply
        return self.fallback

    @property
    def remaining(self) -> int:
        return len(self.replies) - self._next

    def chunks(self, reply: str) -> Iterator[str]:
        return chunked(reply, self.chunk)


# --- billing ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bill:
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    received_bytes: int
    received_tokens: int


@dataclass
class Ledger:
    bills: list[Bill] = field(default_factory=list)
    _last_context: dict[str, str] = field(default_factory=dict)

    def charge(self, *, context: str, output: str, received: str | bytes, key: str = "") -> Bill:
        previous = self._last_context.get(key, "")
        prefix = os.path.commonprefix([previous, context])  # noqa: RUF071 - characters intended
        raw = received.encode() if isinstance(received, str) else received
        bill = Bill(
            input_tokens=count_tokens(context),
            cached_tokens=count_tokens(prefix),
            output_tokens=count_tokens(output),
            received_bytes=len(raw),
            received_tokens=count_tokens(raw.decode("utf-8", "replace")),
        )
        self._last_context[key] = context + output
        self.bills.append(bill)
        return bill

    @property
    def received_bytes(self) -> int:
        return sum(b.received_bytes for b in self.bills)

    @property
    def received_tokens(self) -> int:
        return sum(b.received_tokens for b in self.bills)

    @property
    def billed_input_tokens(self) -> int:
        return sum(b.input_tokens for b in self.bills)


# --- the provider ------------------------------------------------------------


def _context_text(messages: Sequence[Message]) -> str:
    return "".join(f"<{m.role}>{m.content}" for m in messages)


def _cut_at_stop(reply: str, stop: Sequence[str]) -> str:
    cut = len(reply)
    for s in stop:
        i = reply.find(s)
        if i != -1:
            cut = min(cut, i)
    return reply[:cut]


class FakeProvider:
    name = "fake"

    def __init__(
        self,
        script: Script | None = None,
        *,
        model: str = "scripted",
        resume: bool = True,
        stop_sequences: bool = True,
        usage: bool = True,
    ) -> None:
        self.script = script or Script()
        self.usage = usage  # False: no ``Usage`` items (no made-up token counts for a user)
        self.model = model
        self.capabilities = Capabilities(resume=resume, stop_sequences=stop_sequences)
        self.ledger = Ledger()
        self.requests: list[list[Message]] = []
        self.live_sent: list[str] = []
        self.opened = 0
        self.first_delta_at: list[float] = []  # perf_counter() of each reply's first delta
        self.fail_open = 0
        self.drop_after: int | None = None
        self.replay_errors: list[Exception] = []
        self.open_errors: list[Exception] = []
        self.open_attempts = 0
        self.sessions: list[FakeLiveSession] = []

    async def _emit(self, reply: str, *, drop_after: int | None = None) -> AsyncIterator[TextDelta]:
        first = True
        for n, chunk in enumerate(self.script.chunks(reply)):
            if drop_after is not None and n >= drop_after:
                raise SessionLost("the fake live session dropped the connection")
            if self.script.delay:
                await asyncio.sleep(self.script.delay)
            else:
                await asyncio.sleep(0)
            if first:
                self.first_delta_at.append(time.perf_counter())
                first = False
            yield TextDelta(chunk)

    async def stream(
        self, messages: Sequence[Message], *, stop: Sequence[str] = ()
    ) -> AsyncIterator[StreamItem]:
        self.requests.append(list(messages))
        if self.replay_errors:
            raise self.replay_errors.pop(0)
        reply = self.script.next_reply()
        if self.capabilities.stop_sequences:
            reply = _cut_at_stop(reply, stop)
        context = _context_text(messages)
        async for delta in self._emit(reply):
            yield delta
        bill = self.ledger.charge(context=context, output=reply, received=context)
        if not self.usage:
            return
        yield Usage(
            input_tokens=bill.input_tokens,
            cached_tokens=bill.cached_tokens,
            output_tokens=bill.output_tokens,
            sent_bytes=bill.received_bytes,
        )

    async def open(self, messages: Sequence[Message]) -> FakeLiveSession:
        self.open_attempts += 1
        if self.open_errors:
            raise self.open_errors.pop(0)
        if self.fail_open:
            self.fail_open -= 1
            raise SessionLost("the fake live session could not be opened")
        self.opened += 1
        session = FakeLiveSession(self, list(messages))
        self.sessions.append(session)
        return session

    async def aclose(self) -> None:
        for session in self.sessions:
            await session.close()


class FakeLiveSession:
    def __init__(self, provider: FakeProvider, history: list[Message]) -> None:
        self.provider = provider
        self.history = history
        self._alive = True
        self._key = f"session-{provider.opened}"
        # Opening uploads the history once.
        self._pending_upload = _context_text(history)

    @property
    def alive(self) -> bool:
        return self._alive

    async def send(self, text: str) -> AsyncIterator[StreamItem]:
        if not self._alive:
            raise SessionLost("the fake live session is closed")
        provider = self.provider
        provider.live_sent.append(text)
        self.history.append(Message("user", text))
        received = self._pending_upload + f"<user>{text}"
        self._pending_upload = ""
        reply = provider.script.next_reply()
        drop_after, provider.drop_after = provider.drop_after, None
        context = _context_text(self.history)
        emitted: list[str] = []
        try:
            async for delta in provider._emit(reply, drop_after=drop_after):
                emitted.append(delta.text)
                yield delta
        except SessionLost:
            self._alive = False
            raise
        finally:
            # Billed even when the consumer stops reading early: vendors bill
            # what was generated before the cut.
            bill = provider.ledger.charge(
                context=context, output="".join(emitted), received=received, key=self._key
            )
        self.history.append(Message("assistant", reply))
        if not provider.usage:
            return
        yield Usage(
            input_tokens=bill.input_tokens,
            cached_tokens=bill.cached_tokens,
            output_tokens=bill.output_tokens,
            sent_bytes=bill.received_bytes,
        )

    async def truncate(self, kept: str) -> None:
        if self.history and self.history[-1].role == "user":
            self.history.append(Message("assistant", kept))
        elif self.history:
            self.history[-1] = Message("assistant", kept)

    async def close(self) -> None:
        self._alive = False


def scripted(cfg: ProviderConfig, *, http_client: object = None) -> FakeProvider:
    """The provider of the name "fake": a ``FakeProvider`` playing ``cfg.extra["fake_script"]``."""
    del http_client  # no network: the argument is the registry's adapter signature
    raw = cfg.extra.get("fake_script")
    if raw is None:
        return FakeProvider()
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"fake_script must be {{replies, chunk, delay}}; got {type(raw).__name__}"
        )
    replies, chunk, delay = raw.get("replies", []), raw.get("chunk", 4), raw.get("delay", 0.0)
    fallback, usage = raw.get("fallback", DEFAULT_FALLBACK), raw.get("usage", True)
    if not (isinstance(replies, list) and all(isinstance(r, str) for r in replies)):
        raise ConfigError("fake_script.replies must be a list of strings")
    if not isinstance(chunk, int) or not isinstance(delay, int | float):
        raise ConfigError(
            f"fake_script needs a whole chunk and a delay in seconds; got {chunk!r}, {delay!r}"
        )
    if not isinstance(fallback, str) or not isinstance(usage, bool):
        raise ConfigError("fake_script.fallback must be a string and fake_script.usage true/false")
    script = Script(list(replies), chunk=chunk, delay=float(delay), fallback=fallback)
    return FakeProvider(script, usage=usage)
