"""kill -9 during streaming and tool runs: nothing shown is lost, a fresh daemon carries on (issue 8).

Each run starts ``silcrow serve`` on a private store with a scripted reply
that streams slowly (three characters every 10 ms) and runs tools: a shell
command that appends a line to ``runs.log`` and sleeps, a write, a read and a
second shell command. The daemon is SIGKILLed at a random moment (an RNG
seeded with ``DEFAULT_SEED``, so every run draws the same moments; set
``SILCROW_CRASH_SEED`` to try another sequence): in even runs anywhere
in the turn after the ``user`` event, in odd runs inside the tool runs of a
random cycle (shortly after its ``execute``). Two runs go side by side. Then:

a. ``PRAGMA integrity_check`` on the store says ``ok``;
b. every ``silcrow/event`` the client received is in the store, field for
   field, under its (conversation, seq);
c. a fresh daemon on the same store continues the conversation: a new
   prompt ends with stopReason ``end``; ``silcrow/history`` is the store as
   the crash left it followed by exactly what the new prompt sent, seqs
   1..n without a gap or a repeat;
d. no non-idempotent call ran twice: ``runs.log`` has no more lines than
   there are stored, executed shell calls, and the continuation adds none.

The kill lands in one of three phases, counted for the figures: while the
model streams, while a tool runs (after ``execute``, before its
``result``), or after the turn ended.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reliability.knobs import record, runs
from reliability.procs import RawDaemon, integrity, stored_events

SHELL = "echo ran >> runs.log; sleep 0.3"
KILL_WINDOW = 2.4  # seconds after the user event; the scripted turn takes about this long
TOOL_WINDOW = 0.35  # seconds after an ``execute``: the tools of that cycle take about this long
CYCLES = 3  # the scripted turn's cycles that run tools
AT_ONCE = 2  # runs side by side (each is mostly waiting on the slow script)
SETTINGS = {"permissions": {"shell": "allow"}, "streaming": "token"}
DEFAULT_SEED = 14  # fixed, so a failure replays as it is; SILCROW_CRASH_SEED draws others


def call(name: str, **args: Any) -> str:
    return f"§call: {json.dumps({'name': name, 'args': args})}\n"


TURN = [
    "§think: the log first, then the notes; this reasoning streams slowly on purpose\n"
    + call("shell", command=SHELL)
    + "§execute\n",
    "§respond: appended; now writing the notes\n"
    + call("write", file="notes.txt", content="alpha\nbeta\n")
    + "§execute\n",
    call("read", file="notes.txt") + call("shell", command=SHELL) + "§execute\n",
    "§respond: the notes are written and the log has two more lines; all done here.\n§end\n",
]
AFTER = ["§respond: picking up where we left off\n§end\n"]


def script(replies: list[str]) -> dict[str, Any]:
    return {**SETTINGS, "fakeScript": {"replies": replies, "chunk": 3, "delay": 0.01}}


def phase(received: list[dict[str, Any]]) -> str:
    """Where the kill landed, judged from what the client saw: ``streaming``, ``tool`` or ``after_end``."""
    if received and received[-1]["type"] in ("end", "cancelled", "error"):
        return "after_end"
    calls = running = 0
    for event in received:
        if event["type"] == "call":
            calls += 1
        elif event["type"] == "execute":
            calls, running = 0, calls
        elif event["type"] == "result":
            running -= 1
    return "tool" if running > 0 else "streaming"


def executed_shell_calls(events: list[dict[str, Any]]) -> int:
    """Shell calls that an ``execute`` event let run."""
    executed = pending = 0
    for event in events:
        if event["type"] == "call" and (event.get("payload") or {}).get("name") == "shell":
            pending += 1
        elif event["type"] == "execute":
            executed, pending = executed + pending, 0
        elif event["type"] in ("user", "end", "cancelled", "error"):
            pending = 0
    return executed


def log_lines(root: Path) -> int:
    log = root / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


@dataclass
class Tally:
    seed: int
    runs: int = 0
    received: int = 0
    missing: int = 0
    integrity_failures: int = 0
    continuation_failures: int = 0
    repeated_side_effects: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def fail(self, run: int, what: str) -> None:
        self.problems.append(f"run {run} (seed {self.seed}): {what}")


@dataclass(frozen=True)
class Moment:
    """When to kill: ``delay`` seconds after the ``executes``-th execute event (0: the user event)."""

    executes: int
    delay: float

    @classmethod
    def draw(cls, n: int, rng: random.Random) -> Moment:
        """Even runs: anywhere in the turn; odd runs: inside a random cycle's tool runs."""
        if n % 2 == 0:
            return cls(0, rng.uniform(0.0, KILL_WINDOW))
        return cls(rng.randint(1, CYCLES), rng.uniform(0.0, TOOL_WINDOW))

    def reached(self, events: list[dict[str, Any]]) -> bool:
        return bool(events) and sum(e["type"] == "execute" for e in events) >= self.executes


async def crash(root: Path, db: Path, when: Moment) -> tuple[list[dict[str, Any]], str]:
    """Start a turn, SIGKILL the daemon at ``when``; what the client saw and the conversation id."""
    daemon = await RawDaemon.spawn(db, cwd=root)
    try:
        await daemon.initialize([root], script(TURN))
        prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "tidy up"}))
        while not when.reached(daemon.events) and not prompt.done():  # noqa: ASYNC110 - frames arrive on a reader task
            await asyncio.sleep(0.005)
        await asyncio.sleep(when.delay)
        daemon.kill()
        await daemon.wait()
        await asyncio.gather(prompt, return_exceptions=True)
        received = list(daemon.events)
        return received, (received[0]["conversationId"] if received else "")
    finally:
        daemon.kill()


async def carry_on(
    root: Path, db: Path, cid: str
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """A fresh daemon: one more prompt on ``cid``; its result, its events and the history."""
    daemon = await RawDaemon.spawn(db, cwd=root)
    try:
        await daemon.initialize([root], script(AFTER))
        result = await daemon.request("silcrow/prompt", {"text": "go on", "conversationId": cid})
        history = await daemon.request("silcrow/history", {"conversationId": cid})
        await daemon.close()
        return result, list(daemon.events), history["events"]
    finally:
        daemon.kill()


async def one_run(n: int, tmp: Path, when: Moment, tally: Tally) -> None:
    root, db = tmp / f"ws{n}", tmp / f"run{n}.db"
    root.mkdir()
    received, cid = await crash(root, db, when)
    tally.runs += 1
    tally.received += len(received)
    tally.phases[phase(received)] += 1
    check = integrity(db)
    if check != "ok":
        tally.integrity_failures += 1
        tally.fail(n, f"integrity_check: {check}")
    at_crash = [e for e in stored_events(db) if e["conversationId"] == cid]
    by_seq = {e["seq"]: e for e in at_crash}
    lost = [e for e in received if by_seq.get(e["seq"]) != e]
    tally.missing += len(lost)
    if lost:
        tally.fail(n, f"received but not stored: {lost[:3]}")
    lines = log_lines(root)
    result, sent, history = await carry_on(root, db, cid)
    expected = at_crash + sent
    if (
        result.get("stopReason") != "end"
        or history != expected
        or [e["seq"] for e in history] != list(range(1, len(history) + 1))
    ):
        tally.continuation_failures += 1
        tally.fail(
            n,
            f"continuation: result {result}, {len(history)} history events, "
            f"{len(at_crash)} stored at the crash + {len(sent)} sent after",
        )
    executed = executed_shell_calls(history)
    if log_lines(root) != lines or lines > executed:
        tally.repeated_side_effects += 1
        tally.fail(
            n,
            f"runs.log has {log_lines(root)} lines ({lines} at the crash) "
            f"for {executed} executed shell calls",
        )


async def test_kill_9_loses_nothing_shown_and_a_fresh_daemon_continues(tmp_path: Path) -> None:
    seed = int(os.environ.get("SILCROW_CRASH_SEED") or DEFAULT_SEED)
    rng = random.Random(seed)
    moments = [Moment.draw(n, rng) for n in range(runs(5, 200))]
    tally = Tally(seed)
    for first in range(0, len(moments), AT_ONCE):
        await asyncio.gather(
            *(
                one_run(n, tmp_path, moments[n], tally)
                for n in range(first, min(first + AT_ONCE, len(moments)))
            )
        )
    record(
        "crash/kill9",
        seed=seed,
        runs=tally.runs,
        events_received=tally.received,
        events_missing=tally.missing,
        integrity_failures=tally.integrity_failures,
        continuation_failures=tally.continuation_failures,
        repeated_side_effects=tally.repeated_side_effects,
        kills_streaming=tally.phases["streaming"],
        kills_tool=tally.phases["tool"],
        kills_after_end=tally.phases["after_end"],
    )
    assert tally.problems == []
    assert tally.runs == runs(5, 200) and tally.received >= tally.runs
