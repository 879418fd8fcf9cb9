"""Agent.start -> TurnHandle: ids up front, events, cancel at any time, wait, stored failures."""

from __future__ import annotations

import asyncio

import pytest

from silcrow.agent import Agent, ConversationBusy
from silcrow.providers.base import AuthError, Provider
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script

SLOW = ["§respond: " + "word " * 200 + "\n§end\n"]


def agent_with(store: EventStore, replies: list[str], delay: float = 0.0) -> Agent:
    provider = FakeProvider(Script.of(replies, chunk=5, delay=delay))
    return Agent(provider, mode="replay", storage=store, tools=[], profile=False)


async def test_ids_are_known_before_the_turn_runs_and_events_are_the_stored_ones(store) -> None:
    agent = agent_with(store, ["§respond: hi\n§end\n"])
    handle = agent.start("hello", conversation_id="c1")
    assert handle.conversation_id == "c1" and len(handle.turn_id) == 32
    events = [e async for e in handle.events()]
    outcome = await handle.wait()
    assert (
        outcome.stop_reason == "end" and outcome.turn_id == handle.turn_id and outcome.error is None
    )
    assert events == await store.events("c1")
    assert {e.turn_id for e in events} == {handle.turn_id}
    assert not handle.cancel()  # after the end: nothing to stop, nothing stored
    assert (await store.events("c1"))[-1].type == "end"


async def test_cancel_before_the_first_event_stores_the_question_and_cancelled(store) -> None:
    agent = agent_with(store, SLOW, delay=0.01)
    handle = agent.start("never mind")
    assert handle.cancel() and handle.cancel()  # idempotent while it stops
    outcome = await asyncio.wait_for(handle.wait(), 5)
    assert outcome.stop_reason == "cancelled"
    stored = await store.events(handle.conversation_id)
    assert [(e.type, e.content) for e in stored] == [
        ("user", "never mind"),
        ("cancelled", "Cancelled by the user."),
    ]
    assert [e async for e in handle.events()] == stored
    assert not agent.cancel(handle.conversation_id)


async def test_cancelling_a_waiter_does_not_cancel_the_turn(store) -> None:
    agent = agent_with(store, ["§respond: fine\n§end\n"], delay=0.01)
    handle = agent.start("go")
    waiter = asyncio.ensure_future(handle.wait())
    await asyncio.sleep(0.02)
    waiter.cancel()
    assert (await asyncio.wait_for(handle.wait(), 5)).stop_reason == "end"


async def test_a_provider_that_cannot_be_built_is_a_stored_error(store) -> None:
    def no_key() -> Provider:
        raise AuthError("set OPENAI_API_KEY (or apiKeyEnv) to use openai")

    agent = Agent(no_key, storage=store, tools=[], profile=False)
    handle = agent.start("hello")
    events = [e async for e in handle.events()]
    outcome = await handle.wait()
    assert outcome.stop_reason == "error" and outcome.raised
    assert outcome.error is not None and "OPENAI_API_KEY" in outcome.error
    assert [e.type for e in events] == ["user", "error"]
    assert events == await store.events(handle.conversation_id)
    assert events[-1].payload == {"stopReason": "error"}


async def test_second_turn_on_a_running_conversation_is_refused_at_start(store) -> None:
    agent = agent_with(store, SLOW, delay=0.01)
    first = agent.start("one", conversation_id="busy")
    with pytest.raises(ConversationBusy):
        agent.start("two", conversation_id="busy")
    first.cancel()
    assert (await first.wait()).stop_reason == "cancelled"


async def test_an_interrupted_reader_resumes_without_losing_events(store) -> None:
    agent = agent_with(store, SLOW, delay=0.002)
    handle = agent.start("talk", chunks=True)
    seen = []

    async def read() -> None:
        async for event in handle.events():
            seen.append(event)

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(0.05)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    seen += [e async for e in handle.events()]
    assert seen == await store.events(handle.conversation_id)
    assert seen[-1].type == "end"
