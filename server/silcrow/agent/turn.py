"""One user turn: model cycles and tool runs until ``§end``, persisted first.

``TurnRunner.run(spec)`` is the loop inside one turn; ``silcrow.agent.handle``
drives it (task, cancellation, final events), ``silcrow.agent.recovery``
decides what happens after a crash or a failed cycle, and
``silcrow.agent.readahead`` batches the model stream.

Algorithm (the same for replay, resume and auto):
0. Settle the previous tool run (``recovery.settle``): calls executed
   without a stored result get one now, under their own turn, before the
   new ``user`` event.
1. Store the ``user`` event, yield it. A conversation holding images on a
   provider without image input (``Capabilities.images``) ends here with an
   ``error`` saying so. ``mode="resume"`` with a provider
   that has no live session is an error, never a silent replay (only
   ``auto`` falls back).
2. Each cycle: store pending notices as user events; get a reply stream:
   (The history is the conversation's events the turn may see:
   ``TurnSpec.visible``, only the caller's turns when a user id is given.)
   * replay: assemble the context from the store and open one streaming
     request with the stop sequence ``§execute``; a history holding images
     (``Message.images``) always replays;
   * resume: reuse the warm ``LiveSession`` if it holds exactly the stored
     history under the same system prompt and provider (a turn in another
     chat mode, with other project rules or another model reopens it),
     else (re)open one with it; send only the newest user-role
     message (the query, or the tool results).
3. Feed each delta to the lexer; fold tokens with the accumulator; append
   the resulting events to the store in one transaction, then yield them
   (nothing is shown that is not stored). Stop showing at ``§execute`` or
   ``§end``; a replay stream is then drained (``readahead.drain``, bounded
   by ``drain_chars`` and ``drain_seconds``) for the usage and stop reason
   vendors send last; a live session is told to ``truncate`` to what was
   kept. If that fails (the session dropped after the reply was complete),
   the session is closed and the cycle stands: its calls run, and the next
   cycle reopens a session from the store.
4. A reply that did not end normally (``Stop`` other than ``end``: length,
   refusal, safety, ...) before ``§end``/``§execute`` stores a notice for
   the user (``stopnotice``); after them only the metric records it.
   Store a ``metric`` event (provider usage, bytes sent, timings, the stop
   reason; ``usage_complete: false`` when the drain hit a bound).
5. ``§execute``: run the pending calls one by one, storing each ``result``
   before yielding it (while a call prints, its output is stored and yielded
   as ``output`` events: ``silcrow.agent.output``); next cycle. ``§end`` (or ``§execute`` with no call
   pending): store ``end`` and stop.
6. A provider failure mid-cycle stores a ``metric`` marked ``aborted_cycle``
   (with the reason) and is retried at most once (``recovery.cycle_failure``);
   otherwise it ends the turn with stop reason ``error``: one ``error`` event
   per failed turn. In auto mode, a live session that cannot be opened for
   good (``recovery.live_unavailable``: e.g. a server with chat completions
   only) is remembered on the agent's ``WarmSession``: later turns go
   straight to replay, and the aborted record of the first one carries
   ``live_unavailable`` so a front-end can say so once, as a notice.
7. ``max_iterations`` cycles without ``§end`` end the turn with stop reason
   ``max_iterations``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

from silcrow.agent.accumulator import Accumulator
from silcrow.agent.eventlog import EventLog
from silcrow.agent.executor import Executor
from silcrow.agent.handle import TurnSpec
from silcrow.agent.output import Done, Sink, streamed
from silcrow.agent.readahead import batches, drain
from silcrow.agent.recovery import RunCall, cycle_failure, live_unavailable, settle
from silcrow.agent.stopnotice import stop_notice
from silcrow.protocol.assembly import assemble_history, context_images, frame
from silcrow.protocol.events import CallToken, Event, EventType
from silcrow.protocol.lexer import Lexer
from silcrow.protocol.messages import Message
from silcrow.providers.base import (
    LiveSession,
    Provider,
    ProviderError,
    Stop,
    StreamItem,
    TextDelta,
    Usage,
)
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
    unavailable: str = ""  # why live sessions cannot be opened (auto mode stops trying)
    opened_with: tuple[int, str] = (0, "")  # id of the provider, and the system prompt

    async def close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            with contextlib.suppress(Exception):
                await session.close()


@dataclass
class TurnRunner:
    store: EventLog
    provider: Provider
    executor: Executor
    system: str
    mode: Mode
    max_iterations: int
    history_window: int | None
    warm: WarmSession
    notices: Callable[[], list[str]] | None = None
    live_failed: bool = field(default=False)
    drain_chars: int = 16_384  # text read after §end/§execute, looking for usage
    drain_seconds: float = 10.0
    _opening: bool = field(default=False)

    async def _put(self, *events: Event) -> list[Event]:
        return list(await self.store.append_many(events))

    def _live(self) -> bool:
        if self.mode == "resume" and not self.provider.capabilities.resume:
            raise ValueError(
                f"mode='resume' needs a live session, and the {self.provider.name} provider "
                "has none here; use mode='auto' (live when available, else replay) or "
                "mode='replay'"
            )
        if self.mode == "replay" or self.live_failed:
            return False
        if self.mode == "auto" and self.warm.unavailable:
            return False
        return self.provider.capabilities.resume

    async def run(self, spec: TurnSpec) -> AsyncGenerator[Event, None]:
        async for ev in settle(self.store, self.executor, spec.conversation_id, self._caller(spec)):
            yield ev
        for ev in await self._put(spec.user_event()):
            yield ev
        if not self.provider.capabilities.images and await self._has_images(spec):
            refusal = (
                f"The {self.provider.name} provider does not take images: start a new "
                "conversation without the image, or choose a provider that accepts images "
                "(OpenAI, Anthropic, Gemini)."
            )
            for ev in await self._put(self._end(spec, "error", refusal)):
                yield ev
            return
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
            self._opening = False
            try:
                async for ev in self._cycle(spec, acc, live, cycle):
                    yield ev
            except ProviderError as exc:
                await self.warm.close()
                failure = cycle_failure(exc, mode=self.mode, live=live, retried=retried)
                note = dict(failure.note)
                if failure.to_replay and self._opening and live_unavailable(exc):
                    self.warm.unavailable = note["live_unavailable"] = str(exc)
                for ev in await self._put(spec.event("metric", "", note)):
                    yield ev
                if not failure.retry:
                    for ev in await self._put(self._end(spec, "error", str(exc))):
                        yield ev
                    return
                retried = True
                self.live_failed = self.live_failed or failure.to_replay
                cycle -= 1
                continue
            retried = False  # the next cycle may be retried once too
            if acc.done == "end" or not acc.pending:
                for ev in await self._put(self._end(spec, "end")):
                    yield ev
                return
            for call in acc.pending:
                async for ev in self._streamed_call(spec, call):
                    yield ev
        msg = f"Stopped after {self.max_iterations} model cycles without §end."
        for ev in await self._put(self._end(spec, "max_iterations", msg)):
            yield ev

    async def _has_images(self, spec: TurnSpec) -> bool:
        events = spec.visible(await self.store.events(spec.conversation_id))
        return any(context_images(e) for e in events if e.type == "user")

    def _end(self, spec: TurnSpec, reason: str, message: str = "") -> Event:
        kind: EventType = "error" if reason == "error" else "end"
        return spec.event(kind, message, {"stopReason": reason})

    async def _notices(self, spec: TurnSpec) -> list[Event]:
        texts = self.notices() if self.notices is not None else []
        if not texts:
            return []
        return await self._put(*(spec.event("user", t, {"notice": True}) for t in texts))

    async def _cycle(
        self, spec: TurnSpec, acc: Accumulator, live: bool, cycle: int
    ) -> AsyncIterator[Event]:
        started = time.perf_counter()
        history = assemble_history(spec.visible(await self.store.events(spec.conversation_id)))
        if any(m.images for m in history):
            live = False  # live sessions carry text only: a conversation with images replays
        if live:
            stream, session = await self._live_stream(spec, history)
        else:
            session = None
            messages = frame(history, system=self.system, history_window=self.history_window)
            stop_at = [EXECUTE] if self.provider.capabilities.stop_sequences else []
            stream = self.provider.stream(messages, stop=stop_at)
        lexer = Lexer()
        usage: Usage | None = None
        stop: Stop | None = None
        first_delta: float | None = None
        stored: list[Event] = []
        stopped_early = False
        unread: list[StreamItem] = []  # read ahead after the consumer stopped: Stop, Usage
        async with contextlib.aclosing(batches(stream, unread)) as arrived:
            async for items in arrived:
                texts = []
                for item in items:
                    match item:
                        case Usage():
                            usage = item
                        case Stop():
                            stop = item
                        case TextDelta():
                            texts.append(item.text)
                        case _:
                            assert_never(item)
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
            tail_complete = True
            if stopped_early and session is None:
                tail = await drain(arrived, max_chars=self.drain_chars, seconds=self.drain_seconds)
                tail_complete = tail.complete
                for item in tail.items:
                    usage = item if isinstance(item, Usage) else usage
                    stop = item if isinstance(item, Stop) else stop
        for item in unread:  # live: what the read-ahead held when the reader stopped
            usage = item if isinstance(item, Usage) else usage
            stop = item if isinstance(item, Stop) else stop
        if not stopped_early:
            drafts = acc.push(lexer.feed_eof()) + acc.finish()
            if drafts:
                batch = await self._put(*drafts)
                stored.extend(batch)
                for ev in batch:
                    yield ev
        if session is not None:
            ended = [spec.event("end")] if acc.done == "end" else []
            kept = assemble_history(stored + ended)
            self.warm.messages = len(history) + 1
            if stopped_early:
                try:
                    await session.truncate(kept[0].content if kept else "")
                    if acc.done == "end":  # no reply follows in this turn to carry its usage
                        owed = await session.settle()
                        if owed != Usage():  # nothing owed (the demo bills nothing): no figures
                            usage = (usage or Usage()) + owed
                except ProviderError as exc:  # the reply is stored whole; reopen next cycle
                    log.info("live session lost after a complete reply: %s", exc)
                    await self.warm.close()
        # After §end/§execute the shown reply is whole: how the tail ended is only logged.
        notice = None if stop is None or stopped_early else stop_notice(stop, self.provider.name)
        if stop is not None and notice is not None:
            note: dict[str, Any] = {"notice": True, "stopReason": stop.reason.value}
            for ev in await self._put(spec.event("user", notice, note)):
                yield ev
        metric = self._metric(usage, live, cycle, started, first_delta)
        if stop is not None:
            metric.update(stop_reason=stop.reason.value, vendor_stop_reason=stop.vendor_reason)
        if not tail_complete:
            metric["usage_complete"] = False
        for ev in await self._put(spec.event("metric", "", metric)):
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
            and warm.opened_with == (id(self.provider), self.system)
        )
        if not in_sync:
            await warm.close()
            earlier = frame(history[:-1], system=self.system, history_window=self.history_window)
            self._opening = True  # a failure now is the endpoint's, not a dropped session's
            warm.session = await self.provider.open(earlier)
            self._opening = False
            warm.conversation_id = spec.conversation_id
            warm.opened_with = (id(self.provider), self.system)
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

    async def _streamed_call(self, spec: TurnSpec, call: CallToken) -> AsyncIterator[Event]:
        """Run one call: ``output`` events while it prints, then its stored ``result``."""
        name = call.call.name if call.call is not None else "call"

        async def run(sink: Sink) -> list[Event]:
            return await self._caller(spec, sink)(call, spec.turn_id, None)

        async for item in streamed(run):
            if isinstance(item, Done):
                for ev in item.value:
                    yield ev
                continue
            for ev in await self._put(spec.event("output", item, {"name": name})):
                yield ev

    def _caller(self, spec: TurnSpec, sink: Sink | None = None) -> RunCall:
        extra: dict[str, Any] = {} if sink is None else {"on_output": sink}

        async def run_call(call: CallToken, turn_id: str, recovered: str | None) -> list[Event]:
            ctx = ToolContext(
                conversation_id=spec.conversation_id,
                user_id=spec.profile_user,
                turn_id=turn_id,
                given_user_id=spec.user_id,
                extra=extra,
            )
            result = await self.executor.run(call, ctx)
            name = call.call.name if call.call is not None else "call"
            payload: dict[str, Any] = {
                "name": name,
                "outcome": result.outcome,
                "error": result.error,
            }
            if recovered is not None:
                payload["recovered"] = recovered
            event = Event("result", result.content, payload, spec.conversation_id, turn_id)
            return await self._put(event)

        return run_call
