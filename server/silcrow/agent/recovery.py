"""Recovery: what a turn does about a crash before it and a failure inside it.

Algorithm:
1. ``settle(...)`` (before a turn's ``user`` event): when the log does not
   end cleanly (its last event is neither ``end`` nor ``user``), every call
   that was executed without a stored result (the daemon crashed, or the
   turn was cancelled mid-run) gets one, stored under its own turn. A
   read-only call (``Tool.read_only``; also a malformed call or an unknown
   tool, where nothing runs) is run again; any other call gets an error
   result saying its outcome is unknown, so it never runs twice.
2. ``cycle_failure(...)`` (a ``ProviderError`` mid-cycle): the record to
   store (a ``metric`` marked ``aborted_cycle`` with the reason, never an
   ``error``: a failed turn shows exactly one error, its last; context
   assembly drops that cycle's partial reply) and whether to retry the
   cycle once. Only a live-session failure is retried here: auto mode
   switches the rest of the turn to replay (live-session loss -> replay),
   resume mode retries a retryable error (a dropped or expired session) on
   a session reopened from the store. A replay failure is never retried
   here (the HTTP adapters retry what the vendor says may be retried), and
   a second failure of the same cycle ends the turn.
3. ``live_unavailable(exc)``: a live session that could not even be opened
   for a reason that will not change by itself (no such endpoint, a
   refused URL): auto mode then stops trying live sessions for the rest of
   the agent's life and says so once (``WarmSession.unavailable``). A
   missing key, a rate limit or a network error is not that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from silcrow.agent.eventlog import EventLog
from silcrow.agent.executor import Executor
from silcrow.protocol.assembly import UNKNOWN_OUTCOME, call_name, call_token, unanswered_calls
from silcrow.protocol.events import CallToken, Event
from silcrow.providers.base import AuthError, ProviderError, RateLimited

RunCall = Callable[[CallToken, str, str | None], Awaitable[list[Event]]]
"""``run_call(call, turn_id, recovered)``: run one call and store its result."""


async def closed_cleanly(log: EventLog, conversation_id: str) -> bool:
    """Whether the log ends where no call can be open (a finished turn: two cheap reads)."""
    last = await log.events(
        conversation_id, after_seq=max(0, await log.last_seq(conversation_id) - 1)
    )
    return not last or last[-1].type in ("end", "user")


async def settle(
    log: EventLog, executor: Executor, conversation_id: str, run_call: RunCall
) -> AsyncIterator[Event]:
    """Step 1: a stored result for every executed call that has none, in call order."""
    if await closed_cleanly(log, conversation_id):
        return
    for stored in unanswered_calls(await log.events(conversation_id)):
        call = call_token(stored)
        tool = executor.tool_for(call)
        if tool is None or tool.read_only:
            for event in await run_call(call, stored.turn_id, "rerun"):
                yield event
            continue
        payload = {
            "name": call_name(stored),
            "outcome": "Outcome unknown: interrupted before it reported back",
            "error": True,
            "recovered": "unknown",
        }
        unknown = Event("result", UNKNOWN_OUTCOME, payload, conversation_id, stored.turn_id)
        for event in await log.append_many([unknown]):
            yield event


@dataclass(frozen=True, slots=True)
class CycleFailure:
    """What to do after a cycle failed: the event to store and whether to go again."""

    note: dict[str, object]
    retry: bool
    to_replay: bool  # the rest of the turn runs by replay


def cycle_failure(
    exc: ProviderError, *, mode: Literal["auto", "resume", "replay"], live: bool, retried: bool
) -> CycleFailure:
    """Step 2: the retry decision for one failed cycle."""
    retry = not retried and live and (mode == "auto" or exc.retryable)
    note: dict[str, object] = {
        "aborted_cycle": True,
        "recoverable": retry,
        "mode": "resume" if live else "replay",
        "reason": str(exc),
    }
    return CycleFailure(note=note, retry=retry, to_replay=retry and mode == "auto")


def live_unavailable(exc: ProviderError) -> bool:
    """Step 3: whether a failure to open a live session means the endpoint has none."""
    return not exc.retryable and not isinstance(exc, AuthError | RateLimited)
