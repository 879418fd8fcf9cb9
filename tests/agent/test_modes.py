"""Resume (warm live session), auto fallback and cancellation with the fake provider."""

from __future__ import annotations

import asyncio

import pytest

from silcrow.agent import Agent, ConversationBusy
from silcrow.protocol.assembly import assemble
from silcrow.testing import FakeProvider, Script
from support.agentkit import CountingTool, collect

CALL = '§call: {"name": "query_db", "args": {"sql": "q%d"}}\n§execute\n§respond: (made-up result)\n'


def tool_turn(n: int) -> list[str]:
    return [CALL % i for i in range(n)] + ["§respond: done\n§end\n"]


async def test_resume_keeps_one_session_and_sends_only_new_messages(store) -> None:
    tool = CountingTool()
    provider = FakeProvider(Script.of(tool_turn(2) + tool_turn(1), chunk=5))
    agent = Agent(provider, mode="resume", storage=store, tools=[tool], profile=False)
    first = await collect(agent, "first question")
    conv = first[0].conversation_id
    await collect(agent, "second question", conversation_id=conv)
    assert provider.opened == 1
    assert provider.requests == []  # nothing went through replay
    sent = provider.live_sent
    assert sent[0] == "first question"
    assert sent[1].startswith("§result: query_db") and "rows for q0" in sent[1]
    assert sent[3] == "second question"  # the warm session got only the new message
    assert tool.runs == ["q0", "q1", "q0"]
    # the session's history is exactly what replay would have assembled
    session = provider.sessions[0]
    stored = await store.events(conv)
    replayed = assemble(stored, system=session.history[0].content)
    assert session.history == replayed
    assert all("(made-up result)" not in m.content for m in session.history)


async def test_resume_reopens_when_conversation_changes(store) -> None:
    provider = FakeProvider(Script.of(["§respond: a\n§end\n"] * 3))
    agent = Agent(provider, mode="resume", storage=store, tools=[], profile=False)
    a = await collect(agent, "one")
    await collect(agent, "two")  # a new conversation
    await collect(agent, "three", conversation_id=a[0].conversation_id)
    assert provider.opened == 3
    reopened = provider.sessions[2].history
    assert [m.content for m in reopened if m.role == "user"] == ["one", "three"]


async def test_auto_falls_back_to_replay_without_running_a_tool_twice(store) -> None:
    tool = CountingTool()
    call1 = CALL % 1
    # reply 2 is cut by the drop after its call is complete but before §execute;
    # the retried cycle (by replay) gets reply 3, the same call again
    provider = FakeProvider(Script.of([CALL % 0, call1, call1, "§respond: done\n§end\n"], chunk=4))
    agent = Agent(provider, mode="auto", storage=store, tools=[tool], profile=False)
    events = []
    async for ev in agent("go"):
        events.append(ev)
        if ev.type == "result" and provider.drop_after is None and not provider.requests:
            provider.drop_after = call1.index("§execute") // 4 + 1  # the call, not §execute
    kinds = [
        "aborted" if e.aborted_cycle else e.type
        for e in events
        if e.type != "metric" or e.aborted_cycle
    ]
    cut = kinds.index("aborted")
    assert kinds[cut - 1] == "call"  # the complete call was shown, then the session dropped
    assert "error" not in kinds  # a recovered drop is a record, not an error the user sees
    assert events[-1].payload == {"stopReason": "end"}
    assert len(provider.requests) == 2  # the rest of the turn went through replay
    assert tool.runs == ["q0", "q1"]  # the aborted call never ran; the retried one ran once
    # the partial reply of the dropped cycle is not in the replayed context
    replayed = provider.requests[0]
    assert sum(m.content.count("§call:") for m in replayed if m.role == "assistant") == 1


async def test_auto_falls_back_when_the_session_cannot_open(store) -> None:
    provider = FakeProvider(Script.of(["§respond: via replay\n§end\n"]))
    provider.fail_open = 1
    agent = Agent(provider, mode="auto", storage=store, tools=[], profile=False)
    events = await collect(agent, "hi")
    assert events[-1].payload == {"stopReason": "end"}
    assert "via replay" in "".join(e.content for e in events if e.type == "respond")


def talkative_agent(store) -> Agent:
    """An agent whose model streams a long answer slowly enough to be cancelled."""
    provider = FakeProvider(
        Script.of(["§respond: " + "word " * 200 + "\n§end\n"], chunk=5, delay=0.002)
    )
    return Agent(provider, mode="replay", storage=store, tools=[], profile=False)


async def test_cancel_during_streaming_stores_and_yields_cancelled(store) -> None:
    agent = talkative_agent(store)
    events = []
    async for ev in agent("talk", chunks=True):
        events.append(ev)
        if ev.type == "respond" and len(events) == 5:
            assert agent.cancel(ev.conversation_id)
    assert events[-1].type == "cancelled"
    assert events[-1].payload == {"stopReason": "cancelled"}
    assert not agent.cancel(events[0].conversation_id)  # the turn is over
    stored = await store.events(events[0].conversation_id)
    assert stored[-1] == events[-1]
    assert len(events) < 60


async def test_cancel_from_another_task_while_tool_runs(store) -> None:
    started = asyncio.Event()

    class Slow(CountingTool):
        name = "slow"

        async def execute(self, sql: str):  # type: ignore[override]
            started.set()
            await asyncio.sleep(30)
            raise AssertionError("not cancelled")

    provider = FakeProvider(
        Script.of(['§call: {"name": "slow", "args": {"sql": "x"}}\n§execute\n'])
    )
    agent = Agent(provider, mode="replay", storage=store, tools=[Slow()], profile=False)

    async def run() -> list:
        return [ev async for ev in agent("slow please")]

    task = asyncio.create_task(run())
    await asyncio.wait_for(started.wait(), 5)
    agent.cancel()
    events = await asyncio.wait_for(task, 5)
    assert events[-1].type == "cancelled"


async def test_second_turn_on_a_busy_conversation_is_refused(store) -> None:
    provider = FakeProvider(Script.of(["§respond: one two three four\n§end\n"] * 2, chunk=2))
    agent = Agent(provider, mode="replay", storage=store, tools=[], profile=False)
    first = agent("a")
    ev = await first.__anext__()
    with pytest.raises(ConversationBusy):
        await agent("b", conversation_id=ev.conversation_id).__anext__()
    rest = [e async for e in first]
    assert rest[-1].type == "end"


async def test_cancel_again_while_the_cancelled_event_is_yielded(store) -> None:
    agent = talkative_agent(store)
    events = []
    async for ev in agent("talk", chunks=True):
        events.append(ev)
        if ev.type == "respond" and len(events) == 3:
            agent.cancel(ev.conversation_id)
        if ev.type == "cancelled":
            agent.cancel(ev.conversation_id)  # must not cancel this consumer
            await asyncio.sleep(0.01)
    assert events[-1].type == "cancelled"
