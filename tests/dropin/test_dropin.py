"""The Cogency 3.2 drop-in, item by item, through the library's public surface.

Each test drives ``silcrow.Agent`` with the scripted provider (a model that
writes the calls a Cogency-prompted model would write) and checks what is
stored and shown: events read both ways, Cogency-shaped custom tools and
their permissions, Cogency's argument names, the constructor and exports,
history isolation by ``user_id``, cancellation, the first-turn race, resume
without a live session, and the library's lifecycle.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import silcrow
from silcrow import (
    LLM,
    Agent,
    AgentError,
    ConversationBusy,
    Event,
    Security,
    Storage,
    Tool,
    ToolResult,
    tools,
)
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script
from silcrow.tools.base import PermissionRequest
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.policy import PermissionPolicy
from silcrow.tools.registry import describe_tools

HERE = Path(__file__).parent
SERVER = HERE.parents[1] / "server"
END = "§respond: done\n§end"


def call(name: str, **args: Any) -> str:
    return f"§call: {json.dumps({'name': name, 'args': args})}\n§execute"


@pytest.fixture
def ws(tmp_path: Path) -> LocalWorkspace:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "notes.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    (root / "src" / "app.py").write_text("print('Hello World')\n")
    return LocalWorkspace(root)


Run = Callable[..., Any]


@pytest.fixture
def run(tmp_path: Path, ws: LocalWorkspace) -> Run:
    """Run one turn whose model writes ``replies``; the stored events and the agent."""

    async def go(replies: list[str], query: str = "go", **kw: Any) -> tuple[list[Event], Agent]:
        agent_kw = {"workspace": ws, **kw.pop("agent", {})}
        provider = FakeProvider(Script.of(replies), resume=False)
        async with Agent(provider, tmp_path / "events.db", **agent_kw) as agent:
            events = [e async for e in agent(query, **kw)]
        return events, agent

    return go


def results(events: list[Event]) -> list[Event]:
    return [e for e in events if e["type"] == "result"]


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


# -- custom tools -----------------------------------------------------------------


class Lookup(Tool):
    """Cogency's shape: schema (with Cogency's "optional"), execute naming what the agent passes."""

    name = "lookup"
    description = "Look a key up"
    schema = {"key": {"type": "string"}, "limit": {"type": "integer", "optional": True}}

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def execute(
        self,
        key: str,
        limit: int = 1,
        user_id: str | None = None,
        sandbox_dir: str = "",
        access: str = "",
    ) -> ToolResult:
        self.seen.append(
            {"key": key, "user_id": user_id, "sandbox_dir": sandbox_dir, "access": access}
        )
        return ToolResult(outcome=f"looked up {key}", content=key)


class Peek(Tool):
    name = "peek"
    description = "Read-only peek"
    read_only = True

    async def execute(self, what: str) -> ToolResult:
        return ToolResult(outcome=f"peeked {what}")


def test_the_model_sees_a_custom_tools_schema_or_its_signature() -> None:
    shown = describe_tools([Lookup(), Peek()])
    assert (
        "lookup [custom]: Look a key up\n  - key (string)\n  - limit (integer, optional)" in shown
    )
    assert "peek [read]: Read-only peek\n  - what (string)" in shown
    assert "user_id" not in shown and "sandbox_dir" not in shown


async def test_a_custom_tool_gets_user_id_sandbox_dir_and_access(
    run: Run, ws: LocalWorkspace
) -> None:
    tool = Lookup()
    replies = [call("lookup", key="a", user_id="mallory"), call("lookup", key="b"), END]
    await run(replies, user_id="ann", agent={"tools": [tool]})
    await run([call("lookup", key="c"), END], agent={"tools": [tool]})
    assert tool.seen == [
        {"key": "a", "user_id": "ann", "sandbox_dir": str(ws.root), "access": "sandbox"},
        {"key": "b", "user_id": "ann", "sandbox_dir": str(ws.root), "access": "sandbox"},
        {"key": "c", "user_id": None, "sandbox_dir": str(ws.root), "access": "sandbox"},
    ]


async def test_a_custom_tool_asks_a_person_unless_it_is_read_only(run: Run) -> None:
    asked: list[PermissionRequest] = []

    async def ask(request: PermissionRequest) -> Any:
        asked.append(request)
        return "reject"

    tool = Lookup()
    agent_kw = {"tools": [tool, Peek()], "permissions": PermissionPolicy(), "ask": ask}
    events, _ = await run([call("lookup", key="a"), call("peek", what="x"), END], agent=agent_kw)
    assert [r.tool for r in asked] == ["lookup"]
    assert [e["payload"]["outcome"] for e in results(events)] == [
        "lookup rejected by the user",
        "peeked x",
    ]
    assert tool.seen == []
    # a library agent with nobody to ask runs it, as Cogency does
    events, _ = await run(
        [call("lookup", key="a"), END], agent={"tools": [tool], "permissions": PermissionPolicy()}
    )
    assert [e["payload"]["outcome"] for e in results(events)] == ["looked up a"]


def test_the_daemons_default_permissions_ask_before_a_custom_tool() -> None:
    from silcrow.lsp.settings import Permissions

    policy = PermissionPolicy.from_settings(Permissions().as_dict())
    assert policy.check(Lookup(), {"key": "a"}) == "ask"
    assert policy.check(Peek(), {"what": "x"}) == "allow"


# -- Cogency's argument names -------------------------------------------------------


def test_the_model_is_shown_silcrows_argument_names_only(ws: LocalWorkspace) -> None:
    from silcrow.tools.registry import default_tools

    shown = describe_tools(default_tools(ws)).split("\n\n")
    arguments = {tool.split(" ")[0]: tool.split("\n")[1:] for tool in shown}
    for name, alias in (
        ("read", "lines"),
        ("write", "overwrite"),
        ("list", "pattern"),
        ("find", "content"),
        ("shell", "cwd"),
    ):
        assert not [line for line in arguments[name] if line.startswith(f"  - {alias} (")]
    assert any(line.startswith("  - end (") for line in arguments["read"])


async def test_cogency_argument_names_keep_cogencys_meaning(run: Run, ws: LocalWorkspace) -> None:
    replies = [
        call("read", file="notes.txt", start=3, lines=2),
        call("write", file="notes.txt", content="new", overwrite=False),
        call("write", file="fresh.txt", content="new", overwrite=False),
        call("write", file="notes.txt", content="replaced\n", overwrite=True),
        call("list", path="src", pattern="*.py"),
        call("find", content="hello world"),
        call("shell", command="pwd", cwd="src"),
        call("shell", command="pwd", cwd="../.."),
        END,
    ]
    events, _ = await run(replies, agent={"permissions": PermissionPolicy.allow_all()})
    got = [(e["payload"]["name"], e["payload"]["outcome"], e["content"]) for e in results(events)]
    read, exists, _, _, listed, found, here, outside = got
    assert read[1] == "Read notes.txt lines 3-4" and "line 3" in read[2] and "line 5" not in read[2]
    assert "notes.txt already exists; give overwrite=true" in exists[2]
    assert (ws.root / "fresh.txt").read_text() == "new"
    assert (ws.root / "notes.txt").read_text() == "replaced\n"
    assert listed[0] == "list" and "src/app.py" in listed[2]
    assert "src/app.py:1:" in found[2]  # case-insensitive, as Cogency's content
    assert here[2].splitlines()[0] == str(ws.root / "src")
    assert "outside" in outside[2].lower() or "escape" in outside[2].lower()


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
            [e async for e in agent(text, conversation_id="shared", user_id=user)]
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
