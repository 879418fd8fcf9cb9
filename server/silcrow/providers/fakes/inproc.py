"""The in-process scripted provider: no sockets, both replay and resume.

Algorithm:
1. ``stream(messages, stop=...)`` records the messages, takes the script's
   next reply, cuts it before the first stop sequence (as vendors do), and
   yields it in the script's chunks, then one ``Usage`` from the ledger.
2. ``open(messages)`` returns a ``FakeLiveSession`` holding the history.
   ``send(text)`` appends a user message and streams the next reply in full:
   like the real live APIs it has no stop sequence, so the consumer stops
   reading and calls ``truncate(kept)``, which replaces the reply in the
   session's history with ``kept``.
3. Faults on cue: ``fail_open`` (opening raises ``SessionLost``),
   ``drop_after`` (a live reply raises ``SessionLost`` after N chunks), and
   ``replay_errors`` (exceptions raised by the next replay requests).
4. Everything it is sent is recorded (``requests``, ``live_sent``) and
   billed in ``ledger`` so tests and benchmarks can count upstream traffic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from silcrow.protocol.messages import Message
from silcrow.providers.base import Capabilities, SessionLost, StreamItem, TextDelta, Usage
from silcrow.providers.fakes.ledger import Ledger
from silcrow.providers.fakes.script import Script


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
    ) -> None:
        self.script = script or Script()
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
        yield Usage(
            input_tokens=bill.input_tokens,
            cached_tokens=bill.cached_tokens,
            output_tokens=bill.output_tokens,
            sent_bytes=bill.received_bytes,
        )

    async def open(self, messages: Sequence[Message]) -> FakeLiveSession:
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
