"""Freeze-proof tools, attacked through the daemon (issue 13, item 4 and the non-UTF-8 name).

Three hostile inputs, each the model's call in a scripted turn:

* ``gitignore``: a ``.gitignore`` holding ``*a*a*a*a*a*a*a*a*b`` beside
  files whose names are long runs of ``a`` (a backtracking matcher takes
  minutes on them), then ``list``;
* ``edit``: ``edit`` with a 20,000-character ``old`` that is not in a
  300-line file (an unbounded fuzzy "nearest lines" search takes tens of
  seconds);
* ``nested``: ``NESTED_DIRS`` folders, each with a legitimate-looking
  ``.gitignore`` of 1,000 rules, then ``list``: bounded but slow work (each
  file costs ``re2`` about 0.2 s to compile), so the stop surely lands while
  the tool runs.

For each input the daemon must stay responsive while the tool runs. The
stop is sent ``SETTLE`` (50 ms) after the ``execute`` event arrives (the
tool starts right after it), in turn:

1. ``silcrow/cancel {conversationId}`` and ``$/cancelRequest {id}``: the
   prompt resolves with ``stopReason: "cancelled"`` within ``LIMIT``; the
   seconds from sending the cancel to the prompt's answer are recorded.
   Every scripted reply is the same attack, so the turn is still running
   whenever the cancel lands (in the tool, or streaming the next cycle).
2. stdin closed: the process exits within ``LIMIT``; the seconds from the
   close to the exit are recorded.

Before the cancels, one turn runs the ``gitignore`` or ``edit`` attack
without a stop: it must get the tool's result (for the edit an error saying
how to fix the call) within ``LIMIT`` of ``execute`` and end. The issue's
target is 1 s; the asserts allow ``LIMIT`` (5 s) for a loaded two-core
machine and the medians are recorded.

The last resort (``silcrow.lsp.stdin.StdinPump(exit_after_eof=...)``): a process whose
main thread never yields (a pure-Python loop standing in for sync work on
the event loop) and whose child runs in its own session must still exit
within the grace after stdin closes, and take the child with it.

Non-UTF-8 names: a file named ``b"bad\\xff.txt"`` (created through a bytes
path) is listed; the turn ends with ``end``, the name is shown escaped
(``bad\\xff.txt``), the store holds valid text, and the next turn works.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from reliability.knobs import record, runs
from reliability.procs import RawDaemon, server_env, stored_events
from reliability.test_editor_death import running
from silcrow.lsp.stdin import EOF_EXIT_GRACE

SETTLE = 0.05  # seconds after ``execute`` before the stop: the tool has started
LIMIT = (
    5.0  # seconds asserted; the target of 1 s is what the recorded medians are judged by
)
ANSWER_DEADLINE = 20.0  # how long a test waits for anything before calling it a hang
WAYS = ("silcrow/cancel", "$/cancelRequest")
PATTERN = "*a*a*a*a*a*a*a*a*b"
NESTED_DIRS = 15
CHUNK, DELAY = 4096, 0.1  # the long edit call streams in five chunks, about half a second


def call(name: str, **args: Any) -> str:
    return f"§call: {json.dumps({'name': name, 'args': args})}\n§execute\n"


def hostile_gitignore(root: Path) -> str:
    """A tree that stalls a backtracking gitignore matcher; returns the model's call."""
    (root / ".gitignore").write_text(PATTERN + "\n", encoding="utf-8")
    for n in (60, 120, 200):
        (root / ("a" * n)).write_text("x", encoding="utf-8")
    return call("list", path=".")


def hostile_edit(root: Path) -> str:
    """A 300-line file and an edit whose 20,000-character ``old`` is nowhere in it."""
    lines = "".join(f"    value_{i} = compute(alpha, beta, gamma) + {i}\n" for i in range(300))
    (root / "calc.py").write_text(lines, encoding="utf-8")
    old = ("value = compute(alpha, beta, gamma) " * 600)[:20_000]
    return call("edit", file="calc.py", old=old, new="value = 0")


def nested_gitignores(root: Path) -> str:
    """Folders whose large, valid ``.gitignore`` files keep ``list`` busy for seconds."""
    rules = "".join(
        f"/src/module_{i}/generated_{i}.py\n*.tmp{i}\nbuild_{i}/\n!keep_{i}.txt\ndocs/**/out{i}/\n"
        for i in range(200)
    )
    for n in range(NESTED_DIRS):
        folder = root / f"pkg{n:02}"
        folder.mkdir()
        (folder / ".gitignore").write_text(rules, encoding="utf-8")
        (folder / "module.py").write_text("x = 1\n", encoding="utf-8")
    return call("list", path=".")


ATTACKS = {"gitignore": hostile_gitignore, "edit": hostile_edit, "nested": nested_gitignores}


async def started(tmp: Path, name: str, replies: list[str], tag: str) -> tuple[RawDaemon, Path]:
    root = tmp / f"{name}-{tag}"
    root.mkdir()
    first = ATTACKS[name](root)
    daemon = await RawDaemon.spawn(tmp / f"{name}-{tag}.db", cwd=root)
    script = [first if r == "ATTACK" else r for r in replies]
    await daemon.initialize(
        [root], {"fakeScript": {"replies": script, "chunk": CHUNK, "delay": DELAY}}
    )
    return daemon, root


async def tool_started(daemon: RawDaemon, seen: int, prompt: asyncio.Future[Any]) -> dict[str, Any]:
    """The first ``execute`` event after the first ``seen`` events, ``SETTLE`` seconds on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_DEADLINE
    while loop.time() < deadline:
        for event in daemon.events[seen:]:
            if event["type"] == "execute":
                await asyncio.sleep(SETTLE)
                return event
        if prompt.done():
            raise AssertionError(f"the turn ended before its tool ran: {prompt.result()}")
        await asyncio.sleep(0.002)
    raise AssertionError(f"no execute event within {ANSWER_DEADLINE}s")


def results_of(daemon: RawDaemon, cid: str) -> list[dict[str, Any]]:
    return [e for e in daemon.events if e["conversationId"] == cid and e["type"] == "result"]


async def cancel_during_tool(
    daemon: RawDaemon, n: int, way: str
) -> tuple[float, bool, dict[str, Any]]:
    """Start a turn, cancel it in its tool; (seconds to the answer, tool finished before the cancel, result)."""
    text = f"attack {n}"
    seen = len(daemon.events)
    prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": text}))
    cid = (await tool_started(daemon, seen, prompt))["conversationId"]
    finished_first = bool(results_of(daemon, cid))
    start = time.monotonic()
    if way == "silcrow/cancel":
        answer = await asyncio.wait_for(
            daemon.request("silcrow/cancel", {"conversationId": cid}), ANSWER_DEADLINE
        )
        assert answer == {"cancelled": True}, answer
    else:
        daemon.notify("$/cancelRequest", {"id": daemon.prompt_ids[text]})
    result = await asyncio.wait_for(prompt, ANSWER_DEADLINE)
    return time.monotonic() - start, finished_first, result


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_s": round(statistics.median(values), 3), "max_s": round(max(values), 3)}


async def check_stdin_close(tmp_path: Path, name: str) -> None:
    count = runs(1, 10)
    latencies: list[float] = []
    codes: list[int] = []
    for n in range(count):
        daemon, _ = await started(tmp_path, name, ["ATTACK"] * 12, f"eof{n}")
        try:
            prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "attack"}))
            await tool_started(daemon, 0, prompt)
            start = time.monotonic()
            stdin = daemon.proc.stdin
            assert stdin is not None
            stdin.close()
            codes.append(await asyncio.wait_for(daemon.proc.wait(), ANSWER_DEADLINE))
            latencies.append(time.monotonic() - start)
            prompt.cancel()
        finally:
            daemon.kill()
    record(
        f"freeze/{name}/stdin_closed",
        runs=count,
        limit_s=LIMIT,
        target_s=1.0,
        exit_codes=sorted(set(codes)),
        **summary(latencies),
    )
    assert codes == [0] * count
    assert max(latencies) < LIMIT, latencies


async def first_of(daemon: RawDaemon, kind: str) -> dict[str, Any]:
    """The first event of ``kind``, polled every 2 ms (its arrival time is what the caller measures)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_DEADLINE
    while loop.time() < deadline:
        for event in daemon.events:
            if event["type"] == kind:
                return event
        await asyncio.sleep(0.002)
    raise AssertionError(f"no {kind} event within {ANSWER_DEADLINE}s")


async def plain_turn(daemon: RawDaemon, name: str) -> dict[str, Any]:
    """The attack without a stop: the tool answers and the turn ends; returns the result event."""
    prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "attack"}))
    await first_of(daemon, "execute")
    start = time.monotonic()
    result = await first_of(daemon, "result")
    seconds = time.monotonic() - start
    answer = await asyncio.wait_for(prompt, ANSWER_DEADLINE)
    assert answer["stopReason"] == "end", answer
    record(f"freeze/{name}/tool", tool_s=round(seconds, 3), limit_s=LIMIT)
    assert seconds < LIMIT
    return result


async def check_cancel(tmp_path: Path, name: str, *, plain: bool = True) -> dict[str, Any] | None:
    """Optionally one plain turn (its result is returned), then cancels in the tool, both ways."""
    count = runs(2, 20)  # per way of cancelling
    first = ["ATTACK", "§respond: done\n§end\n"] if plain else []
    daemon, _ = await started(
        tmp_path, name, first + ["ATTACK"] * (count * len(WAYS) * 12), "cancel"
    )
    latencies: dict[str, list[float]] = {way: [] for way in WAYS}
    finished_first = 0
    try:
        result = await plain_turn(daemon, name) if plain else None
        for n in range(count * len(WAYS)):
            way = WAYS[n % len(WAYS)]
            seconds, finished, answer = await cancel_during_tool(daemon, n, way)
            assert answer.get("stopReason") == "cancelled", answer
            latencies[way].append(seconds)
            finished_first += finished
    finally:
        await daemon.close()
    every = [s for way in WAYS for s in latencies[way]]
    record(
        f"freeze/{name}/cancel",
        runs=len(every),
        limit_s=LIMIT,
        target_s=1.0,
        tool_done_before_cancel=finished_first,
        **{way: summary(latencies[way]) for way in WAYS},
        **summary(every),
    )
    assert max(every) < LIMIT, latencies
    return result


async def test_hostile_gitignore_list_answers_and_is_cancelled_within_the_limit(
    tmp_path: Path,
) -> None:
    result = await check_cancel(tmp_path, "gitignore")
    assert result is not None and not result["payload"]["error"], result
    assert "a" * 200 in result["content"], result["content"]


async def test_hostile_gitignore_list_exits_when_stdin_closes(tmp_path: Path) -> None:
    await check_stdin_close(tmp_path, "gitignore")


async def test_huge_edit_fails_fast_saying_what_to_change_and_is_cancelled_within_the_limit(
    tmp_path: Path,
) -> None:
    result = await check_cancel(tmp_path, "edit")
    assert result is not None and result["payload"]["error"], result
    assert "not found" in result["content"] and "20000 characters" in result["content"], result[
        "content"
    ]


async def test_huge_edit_exits_when_stdin_closes(tmp_path: Path) -> None:
    await check_stdin_close(tmp_path, "edit")


async def test_slow_nested_gitignores_are_cancelled_within_the_limit(tmp_path: Path) -> None:
    await check_cancel(tmp_path, "nested", plain=False)


async def test_slow_nested_gitignores_exit_when_stdin_closes(tmp_path: Path) -> None:
    await check_stdin_close(tmp_path, "nested")


STUCK = f"""
import subprocess, sys
from silcrow.lsp.stdin import StdinPump
child = subprocess.Popen(["sleep", "60"], start_new_session=True)
StdinPump(sys.stdin.fileno(), exit_after_eof={EOF_EXIT_GRACE}).start()
print(child.pid, flush=True)
while True:
    sum(range(1000))
"""


async def test_a_stuck_process_still_exits_when_stdin_closes_and_kills_its_children(
    tmp_path: Path,
) -> None:
    count = runs(2, 20)
    latencies: list[float] = []
    for _ in range(count):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            STUCK,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=server_env(tmp_path / "unused.db"),
        )
        assert proc.stdin is not None and proc.stdout is not None
        child = int(await asyncio.wait_for(proc.stdout.readline(), ANSWER_DEADLINE))
        try:
            start = time.monotonic()
            proc.stdin.close()
            code = await asyncio.wait_for(proc.wait(), ANSWER_DEADLINE)
            latencies.append(time.monotonic() - start)
            assert code == 0
            assert not running(child)
        finally:
            if proc.returncode is None:
                proc.kill()
            if running(child):
                os.kill(child, 9)
    record(
        "freeze/stuck/stdin_closed",
        runs=count,
        grace_s=EOF_EXIT_GRACE,
        limit_s=LIMIT,
        target_s=1.0,
        **summary(latencies),
    )
    assert min(latencies) >= EOF_EXIT_GRACE  # the orderly stop had its chance first
    assert max(latencies) < LIMIT, latencies


async def test_a_non_utf8_file_name_is_listed_escaped_and_the_next_turn_works(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    os.close(os.open(os.fsencode(root) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    (root / "good.txt").write_text("fine\n", encoding="utf-8")
    replies = [call("list", path="."), "§respond: listed\n§end\n", "§respond: still here\n§end\n"]
    db = tmp_path / "db.sqlite"
    daemon = await RawDaemon.spawn(db, cwd=root)
    try:
        await daemon.initialize([root], {"fakeScript": {"replies": replies, "chunk": 64}})
        first = await asyncio.wait_for(
            daemon.request("silcrow/prompt", {"text": "list"}), ANSWER_DEADLINE
        )
        second = await asyncio.wait_for(
            daemon.request(
                "silcrow/prompt", {"text": "again", "conversationId": first["conversationId"]}
            ),
            ANSWER_DEADLINE,
        )
    finally:
        await daemon.close()
    assert first["stopReason"] == "end", first
    assert second["stopReason"] == "end", second
    assert not daemon.garbage
    (result,) = [e for e in daemon.events if e["type"] == "result"]
    assert not result["payload"]["error"], result
    assert "bad\\xff.txt" in result["content"], result["content"]
    assert "good.txt" in result["content"]
    stored = [e for e in stored_events(db) if e["type"] == "result"]
    assert [e["content"] for e in stored] == [result["content"]]
    assert [e["type"] for e in daemon.events][-1] == "end"
