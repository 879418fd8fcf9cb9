"""One user turn: model cycles and tool runs until ``§end``, persisted first.

Algorithm (the same for replay, resume and auto):
0. Settle the previous tool run: calls executed without a stored result
   (the daemon crashed or the turn was cancelled mid-run) get one now,
   stored under their own turn before the new ``user`` event. A read-only
   call (``Tool.read_only``; also a malformed call or an unknown tool, where
   nothing runs) is run again through the executor; any other call gets an
   error result saying its outcome is unknown, so it never runs twice.
1. Store the ``user`` event, yield it.
2. Each cycle: store pending notices as user events; get a reply stream:
   * replay: assemble the context from the store and open one streaming
     request with the stop sequence ``§execute``;
   * resume: reuse the warm ``LiveSession`` if it holds exactly the stored
     history, else (re)open one with it; send only the newest user-role
     message (the query, or the tool results).
3. Feed each delta to the lexer; fold tokens with the accumulator; append
   the resulting events to the store in one transaction, then yield them
   (nothing is shown that is not stored). Stop reading at ``§execute`` or
   ``§end``; a live session is told to ``truncate`` to what was kept. If
   that fails (the session dropped after the reply was complete), the
   session is closed and the cycle stands: its calls run, and the next
   cycle reopens a session from the store.
4. Store a ``metric`` event (provider usage, bytes sent, timings).
5. ``§execute``: run the pending calls one by one, storing each ``result``
   before yielding it; next cycle. ``§end`` (or ``§execute`` with no call
   pending): store ``end`` and stop.
6. A provider failure mid-cycle stores an ``error`` event marked
   ``aborted_cycle`` (context assembly drops that cycle's partial reply; no
   call of it has run). In auto mode, or in resume mode when the error is
   retryable (a dropped or expired session), the cycle is retried once
   (auto: by replay for the rest of the turn; resume: on a session reopened
   from the store); a second failure of the same cycle, or any other error,
   ends the turn with stop reason ``error``.
7. ``max_iterations`` cycles without ``§end`` end the turn with stop reason
   ``max_iterations``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from silcrow.agent.accumulator import Accumulator
from silcrow.agent.executor import Executor
from silcrow.protocol.assembly import (
    UNKNOWN_OUTCOME,
    assemble_history,
    call_name,
    call_token,
    frame,
    unanswered_calls,
)
from silcrow.protocol.events import CallToken, Event
from silcrow.protocol.lexer import Lexer
from silcrow.protocol.messages import Message
from silcrow.providers.base import LiveSession, Provider, ProviderError, StreamItem, Usage
from silcrow.tools.base import ToolContext

log = logging.getLogger(__name__)

Mode = Literal["auto", "resume", "replay"]
EXECUTE = "§execute"


@dataclass
class WarmSession:
    """The live session an agent keeps across turns, and what it holds."""

    session: LiveSession | None = None
    conversation_id: str = ""
    messages: int = 0  # un-windowed history messages the session holds

    async def close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            with contextlib.suppress(Exception):
                await session.close()


@dataclass
class TurnSpec:
    conversation_id: str
    turn_id: str
    user_id: str
    query: str
    context: list[dict[str, Any]] | None
    chunks: bool


@dataclass
class TurnRunner:
    store: Any  # silcrow.store.EventStore
    provider: Provider
    executor: Executor
    system: str
    mode: Mode
    max_iterations: int
    history_window: int | None
    warm: WarmSession
    notices: Callable[[], list[str]] | None = None
    live_failed: bool = field(default=False)

    def _event(self, spec: TurnSpec, type_: str, content: str = "", payload: dict | None = None) -> Event:
        return Event(
            type=type_,  # type: ignore[arg-type]
            content=content,
            payload=payload,
            conversation_id=spec.conversation_id,
            turn_id=spec.turn_id,
        )

    async def _put(self, *events: Event) -> list[Event]:
        return list(await self.store.append_many(events))

    def _live(self) -> bool:
        if self.mode == "replay" or self.live_failed:
            return False
        return self.provider.capabilities.resume

    async def run(self, spec: TurnSpec) -> AsyncGenerator[Event, None]:
        async for ev in self._settle(spec):
            yield ev
        payload = {"context": spec.context} if spec.context else None
        for ev in await self._put(self._event(spec, "user", spec.query, payload)):
            yield ev
        retried = False
        cycle = 0
        while cycle < self.max_iterations:
            cycle += 1
            for ev in await self._notices(spec):
                yield ev
            acc = Accumulator(
                chunks=spec.chunks, conversation_id=spec.conversation_id, turn_id=spec.turn_id
            )
            live = self._live()
            try:
                async for ev in self._cycle(spec, acc, live, cycle):
                    yield ev
            except ProviderError as exc:
                await self.warm.close()
                retry = not retried and (self.mode == "auto" or (live and exc.retryable))
                note = {"aborted_cycle": True, "recoverable": retry, "mode": "resume" if live else "replay"}
                for ev in await self._put(self._event(spec, "error", str(exc), note)):
                    yield ev
                if not retry:
                    for ev in await self._put(self._end(spec, "error", str(exc))):
                        yield ev
                    return
                retried = True
                if self.mode == "auto" and live:
                    self.live_failed = True  # rest of this turn by replay
                cycle -= 1
                continue
            retried = False  # the next cycle may be retried once too
            if acc.done == "end" or not acc.pending:
                for ev in await self._put(self._end(spec, "end")):
                    yield ev
                return
            for call in acc.pending:
                for ev in await self._run_call(spec, call, spec.turn_id):
                    yield ev
        msg = f"Stopped after {self.max_iterations} model cycles without §end."
        for ev in await self._put(self._end(spec, "max_iterations", msg)):
            yield ev

    def _end(self, spec: TurnSpec, reason: str, message: str = "") -> Event:
        kind = "error" if reason == "error" else "end"
        return self._event(spec, kind, message, {"stopReason": reason})

    async def _notices(self, spec: TurnSpec) -> list[Event]:
        texts = self.notices() if self.notices is not None else []
        if not texts:
            return []
        return await self._put(*(self._event(spec, "user", t, {"notice": True}) for t in texts))

    async def _cycle(
        self, spec: TurnSpec, acc: Accumulator, live: bool, cycle: int
    ) -> AsyncIterator[Event]:
        started = time.perf_counter()
        history = assemble_history(await self.store.events(spec.conversation_id))
        if live:
            stream, session = await self._live_stream(spec, history)
        else:
            session = None
            messages = frame(history, system=self.system, history_window=self.history_window)
            stop = [EXECUTE] if self.provider.capabilities.stop_sequences else []
            stream = self.provider.stream(messages, stop=stop)
        lexer = Lexer()
        usage: Usage | None = None
        first_delta: float | None = None
        stored: list[Event] = []
        stopped_early = False
        async with contextlib.aclosing(_batches(stream)) as batches:
            async for items in batches:
                texts = []
                for item in items:
                    if isinstance(item, Usage):
                        usage = item
                    else:
                        texts.append(item.text)
                if not texts:
                    continue
                if first_delta is None:
                    first_delta = time.perf_counter()
                drafts = acc.push(lexer.feed("".join(texts)))
                if drafts:
                    batch = await self._put(*drafts)
                    stored.extend(batch)
                    for ev in batch:
                        yield ev
                if acc.done is not None:
                    stopped_early = True
                    break
        if not stopped_early:
            drafts = acc.push(lexer.feed_eof()) + acc.finish()
            if drafts:
                batch = await self._put(*drafts)
                stored.extend(batch)
                for ev in batch:
                    yield ev
        if session is not None:
            ended = [self._event(spec, "end")] if acc.done == "end" else []
            kept = assemble_history(stored + ended)
            self.warm.messages = len(history) + 1
            if stopped_early:
                try:
                    await session.truncate(kept[0].content if kept else "")
                except ProviderError as exc:  # the reply is stored whole; reopen next cycle
                    log.info("live session lost after a complete reply: %s", exc)
                    await self.warm.close()
        metric = self._metric(usage, live, cycle, started, first_delta)
        for ev in await self._put(self._event(spec, "metric", "", metric)):
            yield ev

    async def _live_stream(
        self, spec: TurnSpec, history: Sequence[Message]
    ) -> tuple[AsyncIterator[StreamItem], LiveSession]:
        warm = self.warm
        in_sync = (
            warm.session is not None
            and warm.session.alive
            and warm.conversation_id == spec.conversation_id
            and warm.messages == len(history) - 1
        )
        if not in_sync:
            await warm.close()
            earlier = frame(history[:-1], system=self.system, history_window=self.history_window)
            warm.session = await self.provider.open(earlier)
            warm.conversation_id = spec.conversation_id
        assert warm.session is not None
        return warm.session.send(history[-1].content), warm.session

    def _metric(
        self, usage: Usage | None, live: bool, cycle: int, started: float, first: float | None
    ) -> dict[str, Any]:
        now = time.perf_counter()
        out: dict[str, Any] = {
            "mode": "resume" if live else "replay",
            "cycle": cycle,
            "elapsed_ms": round((now - started) * 1000, 3),
            "first_delta_ms": None if first is None else round((first - started) * 1000, 3),
        }
        if usage is not None:
            out.update(
                input_tokens=usage.input_tokens,
                cached_tokens=usage.cached_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                output_tokens=usage.output_tokens,
                sent_bytes=usage.sent_bytes,
            )
        return out

    async def _run_call(
        self, spec: TurnSpec, call: CallToken, turn_id: str, **marks: Any
    ) -> list[Event]:
        ctx = ToolContext(conversation_id=spec.conversation_id, user_id=spec.user_id, turn_id=turn_id)
        result = await self.executor.run(call, ctx)
        name = call.call.name if call.call is not None else "call"
        payload = {"name": name, "outcome": result.outcome, "error": result.error, **marks}
        event = Event("result", result.content, payload, spec.conversation_id, turn_id)
        return await self._put(event)

    def _rerunnable(self, call: CallToken) -> bool:
        """Whether running ``call`` again changes nothing (see step 0)."""
        tool = self.executor.tool_for(call)
        return tool is None or tool.read_only

    async def _closed_cleanly(self, conversation_id: str) -> bool:
        """Whether the log ends where no call can be open (a finished turn: two cheap reads)."""
        last = await self.store.events(
            conversation_id, after_seq=max(0, await self.store.last_seq(conversation_id) - 1)
        )
        if not last:
            return True
        return last[-1].type in ("end", "user")

    async def _settle(self, spec: TurnSpec) -> AsyncIterator[Event]:
        """Step 0: a stored result for every executed call that has none."""
        if await self._closed_cleanly(spec.conversation_id):
            return
        for stored in unanswered_calls(await self.store.events(spec.conversation_id)):
            call = call_token(stored)
            if self._rerunnable(call):
                for ev in await self._run_call(spec, call, stored.turn_id, recovered="rerun"):
                    yield ev
                continue
            payload = {
                "name": call_name(stored),
                "outcome": "Outcome unknown: interrupted before it reported back",
                "error": True,
                "recovered": "unknown",
            }
            unknown = Event(
                "result", UNKNOWN_OUTCOME, payload, spec.conversation_id, stored.turn_id
            )
            for ev in await self._put(unknown):
                yield ev


_END = object()


async def _batches(stream: AsyncIterator[StreamItem]) -> AsyncGenerator[list[StreamItem], None]:
    """Read the stream ahead in a task; yield everything that arrived meanwhile.

    While the consumer commits one batch to the store, the reader keeps
    receiving, so the next batch holds all deltas that came in: one
    transaction per delta when the model is slow, many deltas per transaction
    when it is fast. A failure of the stream is raised to the consumer; when
    the consumer stops early the reader is cancelled, which closes the stream.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def read() -> None:
        try:
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                async for item in stream:
                    queue.put_nowait(item)
        except Exception as exc:
            queue.put_nowait(_Failure(exc))
        finally:
            queue.put_nowait(_END)

    reader = asyncio.get_running_loop().create_task(read())
    try:
        while True:
            items = [await queue.get()]
            while not queue.empty():
                items.append(queue.get_nowait())
            done = items[-1] is _END
            if done:
                items.pop()
            failure = next((i for i, item in enumerate(items) if isinstance(item, _Failure)), None)
            if failure is not None:
                if failure:
                    yield items[:failure]  # what arrived before the failure is still shown
                raise items[failure].exc
            if items:
                yield items
            if done:
                return
    finally:
        if not reader.done():
            reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


@dataclass
class _Failure:
    exc: Exception
