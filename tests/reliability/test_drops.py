"""Provider session drops: no event lost or duplicated, no tool run twice (issue 8).

The agent runs in process against the loopback fakes, which speak the real
wire protocols and inject each fault at a named point of a scripted task:

* ``think``: the connection drops inside ``§think``, before any call;
* ``call``: it drops in the middle of the ``§call:`` JSON;
* ``execute``: it drops right after ``§execute`` (the tool is about to run);
* ``next_reply``: it drops after the results were sent, inside the next reply;
* ``expiry``: the session expires (``session_expired`` + close 1001) after
  two responses on a connection (the OpenAI transports);
* ``expiry_each``: it expires after every response, so one turn loses its
  session at every cycle;
* ``go_away``: Gemini sends ``goAway`` and closes after every turn;
* ``crash``: the process dies while a tool runs (after its side effect,
  before its result is stored); a fresh agent continues the conversation.

Each point runs on every live transport it applies to, in resume mode
(reconnecting) and in auto mode (falling back to replay over the HTTP fake).
The task writes a file, edits it and reads it back, then appends a line to
a log with a shell command. Every run checks: the turn completes; the events
the client saw are exactly the stored ones (same seqs, no gap, no repeat);
write, edit and shell ran once; a read-only call left without a result was
run again and any other call left without one got a stored "outcome unknown"
result. The last tests store such a crash by hand, and cancel a turn while
a tool runs, then continue the conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fakes.http_server import FakeHTTPServer
from fakes.ws_server import FakeWSServer, Faults
from reliability.knobs import record, runs
from silcrow.agent import Agent
from silcrow.protocol.assembly import UNKNOWN_OUTCOME, assemble, unanswered_calls
from silcrow.protocol.events import Event
from silcrow.providers.base import Provider
from silcrow.providers.registry import make_provider
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script
from silcrow.tools.base import Tool, ToolResult
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import default_tools
from support.agentkit import CountingTool

WRITE_CALL = '§call: {"name": "write", "args": {"file": "notes.txt", "content": "alpha\\n"}}\n'
EDIT_CALL = (
    '§call: {"name": "edit", "args": {"file": "notes.txt", "old": "alpha", "new": "beta"}}\n'
)
READ_CALL = '§call: {"name": "read", "args": {"file": "notes.txt"}}\n'
SHELL_CALL = '§call: {"name": "shell", "args": {"command": "echo ran >> runs.log"}}\n'
TAIL = "§execute\n§respond: (a result the model made up)\n"
TASK = [
    f"§think: checking the notes first\n{WRITE_CALL}{TAIL}",
    f"§think: now edit it and look\n{EDIT_CALL}{READ_CALL}{TAIL}",
    f"{SHELL_CALL}{TAIL}",
    "§respond: done\n§end\n",
]
TOOLS = ("write", "edit", "read", "shell")
SIDE_EFFECTS = ("write", "edit", "shell")


@dataclass(frozen=True)
class Point:
    faults: Callable[[], Faults]
    transports: tuple[str, ...]
    again: int | None = None  # the reply the fault cuts before its end: the model writes it again
    crash: bool = False


def drop_at(marker: str) -> Callable[[], Faults]:
    return lambda: Faults(drop_after_text=marker)


ALL = ("responses", "realtime", "gemini-live")
POINTS: dict[str, Point] = {
    "think": Point(drop_at("checking"), ALL, again=0),
    "call": Point(drop_at('"notes.txt", "con'), ALL, again=0),
    "execute": Point(drop_at("§execute\n"), ALL),
    "next_reply": Point(drop_at("now edit"), ALL, again=1),
    "expiry": Point(lambda: Faults(session_limit=2), ("responses", "realtime")),
    "expiry_each": Point(lambda: Faults(session_limit=1), ("responses", "realtime")),
    "go_away": Point(lambda: Faults(go_away_after_turns=1), ("gemini-live",)),
    "crash": Point(Faults, ALL, crash=True),
}
CASES = [
    (p, t, m) for p, point in POINTS.items() for t in point.transports for m in ("resume", "auto")
]
# the long setting runs at least 100 times per point, shared among its cases
LONG_RUNS = {p: -(-100 // (2 * len(point.transports))) for p, point in POINTS.items()}


class Crash(BaseException):
    """The process dies here: nothing after it is stored (not an ``Exception``)."""


def counted(tools: list[Tool], ran: Counter[str], crash_in: set[str]) -> list[Tool]:
    """Count each tool's runs; a tool named in ``crash_in`` crashes once, after running."""
    for tool in tools:
        real = tool.execute

        @functools.wraps(real)
        async def execute(*, _real: Any = real, _name: str = tool.name, **kwargs: Any) -> Any:
            result = await _real(**kwargs)
            ran[_name] += 1
            if _name in crash_in:
                crash_in.discard(_name)
                raise Crash
            return result

        tool.execute = execute  # type: ignore[method-assign]
    return tools


async def drive(agent: Agent, query: str, seen: list[Event], **kw: Any) -> None:
    """Run one turn, keeping what the client saw; a ``Crash`` ends it where it is."""
    try:
        with contextlib.suppress(Crash):
            async with contextlib.aclosing(agent(query, **kw)) as turn:  # type: ignore[type-var]
                async for event in turn:
                    seen.append(event)
    finally:
        await agent.aclose()


def side_effects(root: Path) -> tuple[int, str]:
    """(lines the shell appended to runs.log, the text of notes.txt)."""
    log, notes = root / "runs.log", root / "notes.txt"
    lines = len(log.read_text().splitlines()) if log.exists() else 0
    return lines, notes.read_text() if notes.exists() else ""


@dataclass
class Outcome:
    """What one run measured; ``notes`` lists every broken promise."""

    completed: int = 0
    lost: int = 0
    duplicated: int = 0
    double_runs: int = 0
    unanswered: int = 0  # executed calls without a result when the crash happened
    reruns: int = 0
    unknown: int = 0
    fired: int = 0  # faults the fake injected
    aborted: int = 0  # cycles cut by the fault and asked again
    connections: int = 0  # live connections opened
    replays: int = 0  # requests that went through replay (HTTP)
    notes: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def check_events(self, seen: list[Event], stored: list[Event]) -> None:
        counts = Counter(e.seq for e in seen)
        self.duplicated = sum(n - 1 for n in counts.values())
        self.lost = sum(1 for e in stored if e.seq not in counts)
        if [e.seq for e in stored] != list(range(1, len(stored) + 1)):
            self.notes.append("stored seqs are not 1..n")
        if [(e.seq, e.type, e.content, e.payload) for e in seen] != [
            (e.seq, e.type, e.content, e.payload) for e in stored
        ]:
            self.notes.append("the events seen differ from the events stored")
        self.completed = int(seen[-1].payload == {"stopReason": "end"})
        recovered = Counter(
            (e.payload or {}).get("recovered") for e in stored if e.type == "result"
        )
        self.reruns, self.unknown = recovered["rerun"], recovered["unknown"]
        self.aborted = sum(1 for e in stored if e.aborted_cycle)

    def check_tools(self, ran: Counter[str], shell_lines: int, notes: str) -> None:
        self.double_runs = sum(max(0, ran[name] - 1) for name in SIDE_EFFECTS)
        if any(ran[name] != 1 for name in TOOLS):  # after a crash in edit, read runs on resuming
            self.notes.append(f"tool runs {dict(ran)}")
        if shell_lines != ran["shell"]:
            self.notes.append(f"runs.log has {shell_lines} lines for {ran['shell']} shell runs")
        if notes != "beta\n":
            self.notes.append(f"notes.txt holds {notes!r}")


@dataclass
class Run:
    """One scripted task on one transport and mode, with one fault point."""

    point: Point
    transport: str
    mode: str
    root: Path
    store: EventStore
    ws: FakeWSServer
    http: FakeHTTPServer
    ran: Counter[str] = field(default_factory=Counter)

    def provider(self) -> Provider:
        vendor = "gemini" if self.transport == "gemini-live" else "openai"
        live = {"live_model": "gemini-3.8-live"} if vendor == "gemini" else {}
        return make_provider(
            vendor,
            api_key="test-key",
            model="m",
            base_url=self.http.base_url(vendor),
            live_url=self.ws.http_base,
            live_transport=self.transport,
            timeout=5.0,
            max_retries=0,
            **live,
        )

    def agent(self, crash_in: set[str]) -> Agent:
        workspace = LocalWorkspace(self.root)
        tools = [t for t in default_tools(workspace) if t.name in TOOLS]
        return Agent(
            self.provider(),
            mode=self.mode,
            storage=self.store,  # type: ignore[arg-type]
            tools=counted(tools, self.ran, crash_in),
            profile=False,
        )

    def faults_fired(self) -> int:
        return self.ws.drops + self.ws.expiries + self.ws.go_aways

    async def __call__(self) -> Outcome:
        out, point, ws, http = Outcome(), self.point, self.ws, self.http
        replies = list(TASK)
        if point.again is not None:
            replies.insert(point.again, replies[point.again])
        ws.script = http.script = Script.of(replies, chunk=4)
        ws.faults = point.faults()
        before = (self.faults_fired(), ws.connections, len(http.requests))
        seen: list[Event] = []
        crash_in = {"edit"} if point.crash else set()
        await drive(self.agent(crash_in), "tidy the notes", seen)
        conv = seen[0].conversation_id
        if point.crash:  # a fresh process continues the conversation
            out.unanswered = len(unanswered_calls(await self.store.events(conv)))
            await drive(self.agent(crash_in), "go on", seen, conversation_id=conv)
        stored = await self.store.events(conv)
        out.check_events(seen, stored)
        out.check_tools(self.ran, *side_effects(self.root))
        out.fired = self.faults_fired() - before[0]
        out.connections, out.replays = ws.connections - before[1], len(http.requests) - before[2]
        self.check_path(out, stored)
        return out

    def check_path(self, out: Outcome, stored: list[Event]) -> None:
        point = self.point
        if (out.fired == 0) != point.crash:
            out.notes.append(f"{out.fired} faults fired")
        if self.mode == "resume" and out.replays:
            out.notes.append("resume mode went through replay")
        if out.replays == 0 and out.connections < 2:
            out.notes.append("the turn neither reconnected nor fell back to replay")
        if out.aborted > out.fired or (point.again is not None and out.aborted != 1):
            out.notes.append(f"{out.aborted} cycles were cut")
        if unanswered_calls(stored):
            out.notes.append("calls are left without a result")
        if point.crash:
            context = "\n".join(m.content for m in assemble(stored))
            if (out.unanswered, out.reruns, out.unknown) != (
                2,
                1,
                1,
            ) or UNKNOWN_OUTCOME not in context:
                out.notes.append(
                    f"crash: {out.unanswered} open, {out.reruns} re-run, {out.unknown} unknown"
                )
        elif out.reruns or out.unknown:
            out.notes.append("a drop left a call without its result")


def fresh(root: Path) -> Path:
    root.mkdir()
    return root


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeWSServer, FakeHTTPServer]]:
    async with FakeWSServer() as ws, FakeHTTPServer(api_key=None) as http:
        yield ws, http


@pytest.mark.parametrize(("point", "transport", "mode"), CASES)
async def test_drop_point(
    point: str,
    transport: str,
    mode: str,
    fakes: tuple[FakeWSServer, FakeHTTPServer],
    tmp_path: Path,
) -> None:
    ws, http = fakes
    count = runs(1, LONG_RUNS[point])
    totals: Counter[str] = Counter()
    problems: list[str] = []
    async with await EventStore.open(tmp_path / "events.db") as store:
        for n in range(count):
            run = Run(POINTS[point], transport, mode, fresh(tmp_path / f"ws{n}"), store, ws, http)
            out = await run()
            totals.update(out.figures())
            problems += [f"run {n}: {note}" for note in out.notes]
    record(f"drops/{point}/{transport}/{mode}", runs=count, **dict(totals))
    assert problems == []
    assert totals["completed"] == count
    assert (totals["lost"], totals["duplicated"], totals["double_runs"]) == (0, 0, 0)


class Note(CountingTool):
    """A custom tool that does not say it is read-only."""

    name = "note"


async def test_crash_between_execute_and_result_is_settled_before_the_model_is_asked(
    tmp_path: Path,
) -> None:
    root = fresh(tmp_path / "ws")
    (root / "notes.txt").write_text("alpha\n")
    ran: Counter[str] = Counter()
    note = Note()
    tools = [
        *counted([t for t in default_tools(LocalWorkspace(root)) if t.name in TOOLS], ran, set()),
        note,
    ]
    calls = [
        ("read", {"file": "notes.txt"}),
        ("write", {"file": "notes.txt", "content": "x"}),
        ("shell", {"command": "echo ran >> runs.log"}),
        ("note", {"sql": "q"}),
        ("edit", {"file": "notes.txt", "old": "alpha", "new": "beta"}),
        ("teleport", {}),
    ]
    async with await EventStore.open(tmp_path / "events.db") as store:
        conv = str((await store.create_conversation(workspace="w", user_id="u", title="t")).id)
        crashed = [Event("user", "tidy", None, conv, "t1")]
        crashed += [Event("call", "", {"name": n, "args": a}, conv, "t1") for n, a in calls]
        crashed += [Event("execute", "", None, conv, "t1")]
        await store.append_many(crashed)  # what a process killed during the run leaves
        provider = FakeProvider(Script.of(["§respond: checked\n§end\n", "§respond: ok\n§end\n"]))
        agent = Agent(provider, mode="replay", storage=store, tools=tools, profile=False)
        seen: list[Event] = []
        await drive(agent, "go on", seen, conversation_id=conv)
        agent = Agent(provider, mode="replay", storage=store, tools=tools, profile=False)
        await drive(agent, "and again", seen, conversation_id=conv)
        stored = await store.events(conv)
    settled = [e for e in stored if e.type == "result"]
    assert [(e.payload or {})["name"] for e in settled] == [n for n, _ in calls]
    assert [(e.payload or {})["recovered"] for e in settled] == [
        "rerun",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "rerun",
    ]
    assert {e.turn_id for e in settled} == {"t1"}  # filed under the turn that made the calls
    assert seen[: len(settled)] == settled  # shown first, before the new question
    assert seen[len(settled)].type == "user" and seen[len(settled)].content == "go on"
    assert ran == Counter(read=1) and note.runs == []  # nothing but the read ran again
    assert side_effects(root) == (0, "alpha\n")
    assert "alpha" in settled[0].content and settled[1].content == UNKNOWN_OUTCOME
    assert "no tool 'teleport'" in settled[5].content
    asked = provider.requests[0][-1].content  # the model saw the results, then the question
    assert asked.count("§result:") == len(calls) and asked.count(UNKNOWN_OUTCOME) == 4
    assert asked.rstrip().endswith("go on")
    assert unanswered_calls(stored) == []  # the second turn settled nothing more
    assert sum(1 for e in stored if e.type == "result") == len(calls)
    record(
        "drops/crash_settled", calls=len(calls), reruns=2, unknown=4, tool_runs=sum(ran.values())
    )


async def test_cancel_during_a_tool_run_is_settled_on_the_next_turn(tmp_path: Path) -> None:
    started = asyncio.Event()

    class Slow(CountingTool):
        name = "slow"

        async def execute(self, sql: str) -> ToolResult:
            self.runs.append(sql)
            started.set()
            await asyncio.sleep(30)
            raise AssertionError("not cancelled")

    root = fresh(tmp_path / "ws")
    (root / "notes.txt").write_text("alpha\n")
    ran: Counter[str] = Counter()
    slow = Slow()
    tools = [
        slow,
        *counted([t for t in default_tools(LocalWorkspace(root)) if t.name == "read"], ran, set()),
    ]
    reply = f'§call: {{"name": "slow", "args": {{"sql": "q"}}}}\n{READ_CALL}§execute\n'
    provider = FakeProvider(Script.of([reply, "§respond: checked\n§end\n"]))
    async with await EventStore.open(tmp_path / "events.db") as store:
        agent = Agent(provider, mode="replay", storage=store, tools=tools, profile=False)
        seen: list[Event] = []
        task = asyncio.create_task(drive(agent, "slow then read", seen))
        await asyncio.wait_for(started.wait(), 5)
        agent.cancel()
        await asyncio.wait_for(task, 5)
        assert seen[-1].type == "cancelled"
        await drive(agent, "go on", seen, conversation_id=seen[0].conversation_id)
        stored = await store.events(seen[0].conversation_id)
    settled = [e for e in stored if e.type == "result"]
    assert [(e.payload or {}).get("recovered") for e in settled] == ["unknown", "rerun"]
    assert slow.runs == ["q"] and ran == Counter(read=1)
    assert "alpha" in settled[1].content
    assert seen == stored and seen[-1].payload == {"stopReason": "end"}
