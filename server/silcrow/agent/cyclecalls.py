"""The calls of one cycle, with their results held while changes wait for review.

Owns the order in which a cycle's calls run and their results are stored
when the turn's changes are reviewed (``silcrow.agent.changes``); the turn
loop (``silcrow.agent.turn``) supplies how one call runs and how results
are stored.

Algorithm:
1. Each call runs through ``run_one`` with the turn's changes and the list
   of held results. A call that proposed a change (it is held for review)
   does not store its result; neither does any call after it, so results
   stay in call order.
2. Before a call that could see the disk (``sees_disk``) and after the last
   call, the held changes are reviewed (``TurnChanges.review``: exactly the
   accepted text is written) and the held results are stored, each rewritten
   to say what was accepted or rejected (``reviewed``).
3. A cancel while results are held (during the review or not) rejects every
   pending change - nothing is written - and stores the held results saying
   so before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from silcrow.agent.changes import Held, Review, TurnChanges, Verdicts, reviewed, sees_disk
from silcrow.protocol.events import CallToken, Event
from silcrow.tools.base import Tool, ToolResult

RunOne = Callable[[CallToken, Review], AsyncIterator[Event]]
StoreResults = Callable[[Sequence[tuple[CallToken, ToolResult]]], Awaitable[list[Event]]]


async def run_calls(
    calls: Sequence[CallToken],
    changes: TurnChanges,
    *,
    tool_for: Callable[[CallToken], Tool | None],
    run_one: RunOne,
    store: StoreResults,
) -> AsyncIterator[Event]:
    held: list[Held] = []
    try:
        for call in calls:
            if held and sees_disk(tool_for(call)):
                for ev in await _store_held(store, changes, held, await changes.review()):
                    yield ev
            async for ev in run_one(call, (changes, held)):  # step 1
                yield ev
        if held:
            for ev in await _store_held(store, changes, held, await changes.review()):
                yield ev
    except asyncio.CancelledError:  # step 3
        if held:
            for ev in await _store_held(store, changes, held, changes.cancelled()):
                yield ev
        raise


async def _store_held(
    store: StoreResults, changes: TurnChanges, held: list[Held], verdicts: Verdicts
) -> list[Event]:
    results = [
        (call, reviewed(result, touched, verdicts, changes)) for call, result, touched in held
    ]
    held.clear()
    return await store(results)
