"""The replay loop with the scripted fake: tools, errors, limits, streaming modes."""

from __future__ import annotations

from pathlib import Path

from silcrow.agent import Agent
from silcrow.testing import FakeProvider, Script
from support.agentkit import CountingTool, collect, text_of

READ_THEN_WRITE = [
    '§think: look first\n§call: {"name": "read", "args": {"file": "main.py"}}\n§execute\n',
    '§call: {"name": "write", "args": {"file": "out/new.py", "content": "x = 1\\n"}}\n§execute\n',
    "§respond: Done: read main.py and wrote out/new.py.\n§end\n",
]


async def test_multi_tool_task_runs_tools_and_ends(make_agent, workspace) -> None:
    agent, provider = make_agent(READ_THEN_WRITE)
    events = await collect(agent, "copy things")
    kinds = [e.type for e in events if e.type != "metric"]
    assert kinds == [
        "user",
        "think",
        "call",
        "execute",
        "result",
        "call",
        "execute",
        "result",
        "respond",
        "end",
    ]
    assert (Path(workspace.root) / "out/new.py").read_text() == "x = 1\n"
    read_result = next(e for e in events if e.type == "result")
    assert "print('hello')" in read_result.content
    assert events[-1].payload == {"stopReason": "end"}
    # the model got the read result back, as a user-role §result: message
    second = provider.requests[1]
    assert second[-1].role == "user" and second[-1].content.startswith("§result: read")
    assert "print('hello')" in second[-1].content
    # the replayed assistant turn has its delimiters synthesised again
    assert second[-2].role == "assistant" and "§call:" in second[-2].content
    assert "§execute" in second[-2].content
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_malformed_call_is_reported_and_corrected(make_agent, workspace) -> None:
    agent, provider = make_agent(
        [
            '§call: {"name": "read", "args": {"file": "main.py"\n§execute\n',
            '§call: {"name": "read", "args": {"file": "main.py"}}\n§execute\n',
            "§respond: ok\n§end\n",
        ]
    )
    events = await collect(agent, "read it")
    results = [e for e in events if e.type == "result"]
    assert results[0].payload["error"] is True
    assert results[1].payload["error"] is False
    told = provider.requests[1][-1].content
    assert told.startswith("§result:") and "could not be parsed" in told
    assert events[-1].payload["stopReason"] == "end"


async def test_unknown_tool_and_bad_arguments_become_results(make_agent) -> None:
    agent, _provider = make_agent(
        [
            '§call: {"name": "teleport", "args": {}}\n§execute\n',
            '§call: {"name": "read", "args": {"path": "main.py"}}\n§execute\n',
            "§respond: giving up\n§end\n",
        ]
    )
    events = await collect(agent, "x")
    results = [e for e in events if e.type == "result"]
    assert "There is no tool 'teleport'" in results[0].content
    assert results[1].payload["error"] and "expected read(" in results[1].content


async def test_max_iterations_ends_with_stop_reason(make_agent) -> None:
    loop = '§call: {"name": "read", "args": {"file": "main.py"}}\n§execute\n'
    agent, provider = make_agent([loop] * 10, max_iterations=3)
    events = await collect(agent, "loop forever")
    assert events[-1].type == "end"
    assert events[-1].payload == {"stopReason": "max_iterations"}
    assert len(provider.requests) == 3
    assert sum(e.type == "result" for e in events) == 3


async def test_forgotten_execute_still_runs_the_call(make_agent) -> None:
    agent, _ = make_agent(
        [
            '§call: {"name": "read", "args": {"file": "main.py"}}\n',
            "§respond: read it\n§end\n",
        ]
    )
    events = await collect(agent, "x")
    assert [e.type for e in events if e.type in ("execute", "result")] == ["execute", "result"]


async def test_token_and_semantic_modes_carry_the_same_text(make_agent) -> None:
    reply = ["§think: first I think about it\n§respond: the answer is 42, as usual\n§end\n"]
    a1, _ = make_agent(reply, chunk=2)
    semantic = await collect(a1, "q", chunks=False)
    a2, _ = make_agent(reply, chunk=2, delay=0.002)  # a slow model: deltas one by one
    token = await collect(a2, "q", chunks=True)
    assert [e.type for e in semantic if e.type != "metric"] == ["user", "think", "respond", "end"]
    deltas = [e for e in token if e.type == "respond"]
    assert len(deltas) > 3 and all(e.payload == {"delta": True} for e in deltas)
    for kind in ("think", "respond"):
        assert text_of(token, kind) == text_of(semantic, kind)
    assert text_of(semantic, "respond") == "the answer is 42, as usual"


async def test_every_yielded_event_is_already_stored(make_agent, store) -> None:
    agent, _ = make_agent(READ_THEN_WRITE, chunk=1, delay=0.001)
    seen = 0
    async for event in agent("go", chunks=True):
        stored = await store.events(event.conversation_id, after_seq=event.seq - 1, limit=1)
        assert stored and stored[0] == event
        seen += 1
    assert seen > 20


async def test_conversation_continues_and_default_is_stateless(make_agent) -> None:
    agent, provider = make_agent(
        [
            "§respond: my name is Sil\n§end\n",
            "§respond: still Sil\n§end\n",
            "§respond: who?\n§end\n",
        ]
    )
    first = await collect(agent, "remember the word pineapple")
    conv = first[0].conversation_id
    second = await collect(agent, "what word?", conversation_id=conv)
    assert second[0].conversation_id == conv
    assert any("pineapple" in m.content for m in provider.requests[1])
    third = await collect(agent, "what word?")
    assert third[0].conversation_id != conv
    assert not any("pineapple" in m.content for m in provider.requests[2])


async def test_history_window_keeps_calls_with_results(make_agent) -> None:
    agent, provider = make_agent(READ_THEN_WRITE, history_window=2)
    await collect(agent, "go")
    last = provider.requests[-1]
    assert last[0].role == "system"
    history = last[1:]
    # the window lies inside the current turn, so it widens to the question
    assert history[0].role == "user" and history[0].content == "go"
    assert not any(m.content == "go" for m in provider.requests[0][2:])
    assert len(history) == 5  # question, call, result, call, result


async def test_custom_tool_in_the_seed_style(make_agent) -> None:
    tool = CountingTool()
    agent, provider = make_agent(
        [
            '§call: {"name": "query_db", "args": {"sql": "select 1"}}\n§execute\n',
            "§respond: ok\n§end\n",
        ],
        tools=[tool],
    )
    events = await collect(agent, "query")
    assert tool.runs == ["select 1"]
    result = next(e for e in events if e.type == "result")
    assert result.payload["outcome"] == "Query executed" and result.content == "rows for select 1"
    assert "query_db" in provider.requests[0][0].content  # described in the system prompt


async def test_provider_error_ends_turn_with_error_in_replay(store) -> None:
    from silcrow.providers.base import AuthError

    provider = FakeProvider(Script.of(["§respond: never\n§end\n"]))
    provider.replay_errors = [AuthError("set OPENAI_API_KEY"), AuthError("set OPENAI_API_KEY")]
    agent = Agent(provider, mode="replay", storage=store, tools=[], profile=False)
    events = await collect(agent, "x")
    assert events[-1].type == "error" and events[-1].payload == {"stopReason": "error"}
    assert "OPENAI_API_KEY" in events[-1].content


async def test_fast_streams_are_batched_into_fewer_transactions(make_agent, store) -> None:
    text = "word " * 400
    agent, _ = make_agent([f"§respond: {text}\n§end\n"], chunk=2)
    events = await collect(agent, "q", chunks=True)
    deltas = [e for e in events if e.type == "respond"]
    assert "".join(e.content for e in deltas) == text.strip()
    assert len(deltas) < len(text) // 2  # several chunks share a delta event
