"""The agent in resume and auto mode over the real WebSocket adapters and fakes.

The fake live servers keep generating past ``§execute`` (these APIs have no
stop sequence), so these tests exercise the read-ahead, the cut and the
session's ``truncate`` for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes.ws_server import FakeWSServer, Faults
from silcrow.agent import Agent
from silcrow.protocol.assembly import assemble
from silcrow.providers.registry import make_provider
from silcrow.testing import Script
from support.agentkit import CountingTool, collect

CALL = '§call: {"name": "query_db", "args": {"sql": "q%d"}}\n§execute\n§respond: (made-up result)\n'
DONE = "§respond: done\n§end\n"


@pytest.fixture
async def live_server() -> AsyncIterator[FakeWSServer]:
    replies = [CALL % 0, CALL % 1, DONE, CALL % 2, DONE]
    async with FakeWSServer(Script.of(replies, chunk=6, delay=0.001)) as server:
        yield server


def openai_live(server: FakeWSServer, transport: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    return make_provider("openai", base_url=server.http_base, live_transport=transport, timeout=5.0)


@pytest.mark.parametrize("transport", ["responses", "realtime"])
async def test_warm_session_over_the_wire_runs_each_tool_once(
    transport: str, live_server: FakeWSServer, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = CountingTool()
    provider = openai_live(live_server, transport, monkeypatch)
    agent = Agent(provider, mode="resume", storage=store, tools=[tool], profile=False)
    first = await collect(agent, "first question")
    conv = first[0].conversation_id
    second = await collect(agent, "second question", conversation_id=conv)
    await agent.aclose()
    assert first[-1].payload == {"stopReason": "end"}
    assert second[-1].payload == {"stopReason": "end"}
    assert tool.runs == ["q0", "q1", "q2"]
    assert live_server.connections == 1  # one warm session across both turns
    shown = "".join(e.content for e in first + second if e.type == "respond")
    assert "made-up" not in shown  # the tail after §execute never reaches the user
    if transport == "realtime":
        # the server-side conversation is what replay would send; a reply
        # the model ended with whitespace after its last delimiter is left as is
        transcript = [(r, c.rstrip()) for r, c in live_server.conns[0].state.transcript()]
        expected = [(m.role, m.content) for m in assemble(await store.events(conv))]
        assert transcript == expected


async def test_auto_mode_falls_back_to_replay_when_the_socket_drops(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakes.http_server import FakeHTTPServer

    tool = CountingTool()
    http_script = Script.of([CALL % 1, DONE], chunk=6)
    async with (
        FakeWSServer(
            Script.of([CALL % 0, CALL % 1], chunk=6, delay=0.001),
            faults=Faults(drop_after_chunks=None),
        ) as ws,
        FakeHTTPServer(http_script) as http,
    ):
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        provider = make_provider(
            "openai",
            base_url=http.base_url("openai"),
            live_url=ws.http_base.replace("http", "ws"),
            live_transport="realtime",
            timeout=5.0,
            model="gpt-4.1-mini",
        )
        agent = Agent(provider, mode="auto", storage=store, tools=[tool], profile=False)
        events = []
        async for ev in agent("go"):
            events.append(ev)
            if ev.type == "result" and ws.faults.drop_after_chunks is None and len(tool.runs) == 1:
                ws.faults.drop_after_chunks = 3
        await agent.aclose()
    assert events[-1].payload == {"stopReason": "end"}
    assert sum(1 for e in events if e.aborted_cycle) == 1
    assert not [e for e in events if e.type == "error"]
    assert tool.runs == ["q0", "q1"]
    assert len(http.requests) == 2  # the rest of the turn went through replay
