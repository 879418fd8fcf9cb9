"""Partial tool output: what a running command prints, as ``output`` events the user sees live.

A tool that streams (``shell``) gets an ``on_output`` sink in
``ToolContext.extra``; ``streamed_call`` runs the call while turning what
arrives into stored ``output`` events, and the call's ``result`` still
carries the capped head-and-tail text the model gets.

Algorithm (``OutputChunks``):
1. Text is held until a whole line is there (a secret is matched within a
   line, so a chunk boundary never splits one), unless the held text is
   longer than ``chunk_cap`` or the call has ended.
2. At most one event per ``interval`` seconds: text arriving in between is
   joined into the next one. Each event's content is redacted like every
   result (``silcrow.tools.redact``).
3. At most ``total_cap`` characters per call are streamed; then one last
   event says the rest is in the result. Text holding the header of a
   private key block stops the stream at once (its lines could pass the
   line-wise redaction one by one): the result has it redacted whole.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from silcrow.tools.redact import holds_private_key, redact

INTERVAL = 0.1  # seconds between two output events of one call
CHUNK_CAP = 4_000  # characters in one event
TOTAL_CAP = 64_000  # characters streamed per call
CAPPED_NOTE = "\n[live output stops here; the result holds the end of it]\n"
KEY_NOTE = "\n[live output stopped: it holds a private key block; the result has it redacted]\n"


@dataclass
class OutputChunks:
    """Coalesces output text into redacted, rate-bounded, capped pieces (see the module docstring)."""

    chunk_cap: int = CHUNK_CAP
    total_cap: int = TOTAL_CAP
    held: str = ""
    sent: int = 0
    stopped: bool = False

    def add(self, text: str) -> None:
        if not self.stopped:
            self.held += text

    def take(self, *, final: bool = False) -> str:
        """The next piece to send ('' when nothing is due); ``final`` flushes the held line."""
        if self.stopped:
            return ""
        cut = len(self.held) if final else self.held.rfind("\n") + 1
        if not cut and len(self.held) > self.chunk_cap:
            cut = self.chunk_cap
        cut = min(cut, self.chunk_cap, self.total_cap - self.sent)
        piece, self.held = self.held[:cut], self.held[cut:]
        if holds_private_key(piece):
            self.stopped, self.held = True, ""
            return KEY_NOTE
        self.sent += len(piece)
        if self.sent >= self.total_cap and (self.held or not final):
            self.stopped, self.held = True, ""
            return redact(piece) + CAPPED_NOTE
        return redact(piece)

    def pending(self) -> bool:
        return bool(self.held)


T = TypeVar("T")
Sink = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The call's own return value: the last item ``streamed`` yields."""

    value: T


async def streamed(
    run: Callable[[Sink], Awaitable[T]],
    *,
    interval: float = INTERVAL,
    chunks: OutputChunks | None = None,
) -> AsyncIterator[str | Done[T]]:
    """Run ``run(sink)``; yield output pieces while it runs, then ``Done(its return value)``.

    Cancelling the consumer cancels the call and waits for it (a shell is killed).
    """
    buffer = chunks if chunks is not None else OutputChunks()
    arrived = asyncio.Event()

    async def sink(text: str) -> None:
        buffer.add(text)
        arrived.set()

    task = asyncio.ensure_future(run(sink))
    try:
        while not task.done():
            waiter = asyncio.ensure_future(arrived.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if task.done():
                break
            arrived.clear()
            piece = buffer.take()
            if piece:
                yield piece
                # Bounded rate: what arrives meanwhile waits for the next piece.
                await asyncio.wait({task}, timeout=interval)
        while (piece := buffer.take(final=True)) or buffer.pending():
            if piece:
                yield piece
        yield Done(task.result())
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
