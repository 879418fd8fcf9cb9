"""The Cogency 3.2 drop-in's agent, item by item, through the library's public surface.

Events read both ways, the constructor and the exports, history isolation
by ``user_id``, cancellation, the first-turn race, resume without a live
session, and the library's lifecycle (``async with``, a clean exit of
scripts that never call ``aclose()``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import silcrow
from dropin.kit import END, Lookup, Run, call, results
from silcrow import (
    LLM,
    Agent,
    AgentError,
    ConversationBusy,
    Event,
    Security,
    Storage,
    tools,
)
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script
from silcrow.tools.local import LocalWorkspace

HERE = Path(__file__).parent
SERVER = HERE.parents[1] / "server"


# -- events -----------------------------------------------------------------------


async def test_events_read_as_attributes_and_as_mappings(run: Run) -> None:
    events, _ = await run([END])
    respond = next(e for e in events if e.type == "respond")
    assert respond["type"] == respond.type == "respond"
    assert respond.get("content") == respond["content"] == "done"
    assert respond.get("audience", "broadcast") == "broadcast"  # a key events do not have
    assert dict(respond) == {
        "type": "respond",
        "content": "done",
        "payload": None,
        "conversation_id": respond.conversation_id,
        "turn_id": respond.turn_id,
        "seq": respond.seq,
        "timestamp": respond.timestamp,
    }
    with pytest.raises(KeyError, match="an event has the keys type, content"):
        respond["kind"]


# -- the constructor and the exports --------------------------------------------------


async def test_agent_takes_cogencys_signature_and_security(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await EventStore.open(tmp_path / "mine.db")
    provider = FakeProvider(Script.of([call("write", file="a.txt", content="x"), END]))
    agent = Agent(provider, store, security=Security(sandbox_dir="box", shell_timeout=7))
    assert isinstance(store, Storage) and isinstance(provider, LLM)
    async with agent:
        events = [e async for e in agent("write a file")]
    assert (tmp_path / "box" / "a.txt").read_text() == "x"
    assert await store.count_events(events[0].conversation_id) == len(events)
    await store.close()
    here = Path.cwd()  # tmp_path, resolved
    assert Agent(provider, security=Security(access="project")).workspace.root == here
    assert Agent(provider).workspace.root == here / ".cogency" / "sandbox"


async def test_security_sets_the_shell_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    provider = FakeProvider(Script.of([call("shell", command="sleep 5"), END]), resume=False)
    async with Agent(provider, tmp_path / "e.db", security=Security(shell_timeout=1)) as agent:
        events = [e async for e in agent("wait")]
    assert results(events)[0]["payload"]["outcome"] == "`sleep 5` timed out after 1s and was killed"


def test_bad_agent_arguments_say_what_to_pass() -> None:
    class CogencyStorage:
        async def save_message(self, *a: Any) -> str:
            return ""

    with pytest.raises(
        TypeError, match="it lacks append, append_many, close, count_events, create_conversation"
    ):
        Agent("openai", CogencyStorage())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not supported: Silcrow's tools work inside one folder"):
        Security(access="system")


def test_exports_cogency_users_import() -> None:
    assert issubclass(ConversationBusy, AgentError)
    assert [t.name for t in tools.category("web")] == ["scrape", "search"]
    assert [t.name for t in tools()][:3] == ["read", "write", "edit"]
    assert tools.get("nope") is None
    from dropin.memory_storage import MemoryStorage

    assert isinstance(MemoryStorage(), Storage)
    assert set(silcrow.__all__) >= {
        "Agent",
        "AgentError",
        "LLM",
        "Storage",
        "Tool",
        "ToolResult",
        "tools",
    }


async def test_tool_selections_become_the_agents_builtins(run: Run) -> None:
    tool = Lookup()
    events, _ = await run(
        [call("read", file="notes.txt"), call("shell", command="ls"), END],
        agent={"tools": [*tools.name(["read"]), tool]},
    )
    outcomes = [e["payload"]["outcome"] for e in results(events)]
    assert outcomes[0] == "Read notes.txt (10 lines)"
    assert outcomes[1] == "Unknown tool 'shell'"


def test_import_silcrow_loads_no_sdk() -> None:
    probe = (
        "import sys, silcrow; silcrow.Agent; silcrow.tools; "
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SERVER)},
    )
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    sdks = {"httpx", "websockets", "pygls", "lsprotocol", "openai", "anthropic", "google", "mcp"}
    assert loaded & sdks == set()


# -- history, cancellation, races, modes ---------------------------------------------


async def test_history_is_isolated_by_user_id(tmp_path: Path, ws: LocalWorkspace) -> None:
    provider = FakeProvider(Script.of(["§respond: a\n§end"] * 3), resume=False)
    async with Agent(provider, tmp_path / "events.db", workspace=ws) as agent:
        for user, text in (("alice", "alice's secret"), ("bob", "bob asks"), (None, "anyone")):
            [e async for e in agent(text, user, "shared")]  # Cogency's positional order
    sent = ["\n".join(m.content for m in request) for request in provider.requests]
    assert "alice's secret" in sent[0]
    assert "alice's secret" not in sent[1] and "bob asks" in sent[1]
    assert "alice's secret" in sent[2] and "bob asks" in sent[2]  # None sees all


async def test_cancelling_the_consuming_task_stores_cancelled(
    tmp_path: Path, ws: LocalWorkspace
) -> None:
    provider = FakeProvider(
        Script.of(["§respond: " + "word " * 400 + "\n§end"], chunk=2, delay=0.01)
    )
    store = await EventStore.open(tmp_path / "events.db")
    agent = Agent(provider, store, workspace=ws)
    first = asyncio.Event()

    async def consume() -> None:
        async for event in agent("long answer", conversation_id="c", chunks=True):
            if event.type == "respond":
                first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    kinds = [e.type for e in await store.events("c")]
    assert kinds[-1] == "cancelled"
    await agent.aclose()
    await store.close()


async def test_two_first_turns_on_one_new_conversation_race_to_busy(
    tmp_path: Path, ws: LocalWorkspace
) -> None:
    store = await EventStore.open(tmp_path / "events.db")
    agents = [
        Agent(FakeProvider(Script.of([END]), resume=False), store, workspace=ws) for _ in range(2)
    ]

    async def first_turn(agent: Agent) -> list[Event] | BaseException:
        try:
            return [e async for e in agent("hi", conversation_id="new")]
        except ConversationBusy as exc:
            return exc

    outcomes = await asyncio.gather(*(first_turn(a) for a in agents))
    busy = [o for o in outcomes if isinstance(o, ConversationBusy)]
    assert len(busy) == 1 and "just started by another turn" in str(busy[0])
    stored = await store.events("new")
    assert stored[0].type == "user" and sum(e.type == "user" for e in stored) == 1
    for agent in agents:
        await agent.aclose()
    await store.close()


async def test_resume_without_a_live_session_is_a_clear_error(run: Run) -> None:
    events, _ = await run([END], agent={"mode": "resume"})
    assert events[-1]["type"] == "error"
    assert "mode='resume' needs a live session" in events[-1]["content"]
    assert "mode='auto'" in events[-1]["content"]


# -- lifecycle -------------------------------------------------------------------------


async def test_async_with_closes_the_agents_own_store(tmp_path: Path, ws: LocalWorkspace) -> None:
    async with Agent(FakeProvider(Script.of([END])), tmp_path / "e.db", workspace=ws) as agent:
        [e async for e in agent("hi")]
        assert agent.store is not None
    assert agent.store is None


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_ten_scripts_without_aclose_exit_cleanly_at_once(tmp_path: Path) -> None:
    script = HERE / "no_aclose.py"
    procs = []
    for i in range(10):
        cwd = tmp_path / f"run{i}"
        cwd.mkdir()
        env = {**os.environ, "PYTHONPATH": str(SERVER), "SILCROW_DB": str(cwd / "db.sqlite")}
        procs.append(
            subprocess.Popen(
                [sys.executable, str(script)],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outcomes = []
    deadline = time.monotonic() + 10  # an upper bound for all ten, not a measurement
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            outcomes.append((proc.returncode, err, out))
    finally:
        for proc in procs:
            proc.kill()
    assert outcomes == [(0, "", "nothing here yet\nstill nothing\n")] * 10
