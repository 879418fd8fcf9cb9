"""Cancel under load: a cancelled turn's shell command and its children are gone within a second (issue 8).

One ``silcrow serve`` process has two workspace folders, configured per
folder through ``workspace/configuration``: in ``tools`` the scripted model
calls the shell with ``sleep 60 & sleep 60; wait``; in ``load`` it streams
long answers three characters per event, and a background loop keeps one
such prompt running at all times. A CPU-burning child of the test competes
for the machine meanwhile.

Each run starts a prompt in ``tools``, waits until both ``sleep`` children
run (the client grants the permission), then cancels it, alternately with
``silcrow/cancel {conversationId}`` and with ``$/cancelRequest {id}`` for the
prompt's request. Counted per run:

* the process group and every process that was below the daemon stop
  running within ``GONE_LIMIT`` (1 s) of the cancel being sent (polled every
  5 ms from /proc);
* the prompt resolves with ``stopReason: "cancelled"`` (a result, not an
  error) and the conversation's last event is ``cancelled``;
* ``silcrow/cancel`` answers ``{"cancelled": true}``;
* the load conversation received events while the shell command ran.

Latencies (p50, max) per way of cancelling are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reliability.knobs import record, runs
from reliability.procs import ANSWERS, RawDaemon
from reliability.test_editor_death import ShellRun, shell_script, shell_started, summary

GONE_LIMIT = 1.0
WAYS = ("silcrow/cancel", "$/cancelRequest")
LONG_ANSWER = "§respond: " + "a steady stream of words to keep the daemon busy " * 60 + "\n§end\n"
LOAD = {
    "fakeScript": {"replies": [LONG_ANSWER] * 500, "chunk": 3, "delay": 0.0},
    "streaming": "token",
}


def per_folder(settings: dict[str, dict[str, Any]]) -> Any:
    """Answers ``workspace/configuration`` with each folder's own settings (by scope URI)."""

    def answer(method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            return [settings.get(item.get("scopeUri", ""), {}) for item in params["items"]]
        return ANSWERS.get(method)

    return answer


async def keep_loaded(
    daemon: RawDaemon, uri: str, stop: asyncio.Event, turns: list[dict[str, Any]]
) -> None:
    """One long streaming prompt after another in the ``load`` folder until ``stop``."""
    n = 0
    while not stop.is_set():
        n += 1
        turns.append(
            await daemon.request("silcrow/prompt", {"text": f"talk {n}", "workspaceUri": uri})
        )


async def gone_after(shell: ShellRun, start: float) -> float:
    while shell.survivors():  # noqa: ASYNC110 - no event fires when a process group empties
        await asyncio.sleep(0.005)
    return time.monotonic() - start


def conversation_of_shell_call(daemon: RawDaemon, known: set[str]) -> str:
    """The conversation of the newest shell call not seen before (the load folder calls no tools)."""
    for event in reversed(daemon.events):
        if event["type"] == "call" and event["conversationId"] not in known:
            return str(event["conversationId"])
    raise AssertionError("no shell call event for the running turn")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    resolved: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)
    load_events_during_shell: list[int] = field(default_factory=list)


def load_events(daemon: RawDaemon, tool_cids: set[str]) -> int:
    return sum(1 for e in daemon.events if e["conversationId"] not in tool_cids)


async def cancel_one(
    daemon: RawDaemon, n: int, way: str, tools: str, known: set[str], tally: Tally
) -> None:
    text = f"run it {n}"
    prompt = asyncio.ensure_future(
        daemon.request("silcrow/prompt", {"text": text, "workspaceUri": tools})
    )
    shell = await shell_started(daemon.pid, prompt)
    cid = conversation_of_shell_call(daemon, known)
    known.add(cid)
    load_before = load_events(daemon, known)
    await asyncio.sleep(0.1)  # the command runs a little while under load
    start = time.monotonic()
    if way == "silcrow/cancel":
        answer = await daemon.request("silcrow/cancel", {"conversationId": cid})
        if answer != {"cancelled": True}:
            tally.problems.append(f"run {n}: silcrow/cancel answered {answer}")
    else:
        daemon.notify("$/cancelRequest", {"id": daemon.prompt_ids[text]})
    latency = await asyncio.wait_for(gone_after(shell, start), GONE_LIMIT + 10)
    result = await asyncio.wait_for(prompt, 30)
    tally.resolved[way].append(time.monotonic() - start)
    tally.latencies[way].append(latency)
    tally.load_events_during_shell.append(load_events(daemon, known) - load_before)
    last = [e for e in daemon.events if e["conversationId"] == cid][-1]
    if result.get("stopReason") != "cancelled" or last["type"] != "cancelled":
        tally.problems.append(f"run {n} ({way}): result {result}, last event {last['type']}")


async def test_cancel_kills_the_shell_group_within_a_second_under_load(tmp_path: Path) -> None:
    count = runs(3, 50)  # per way of cancelling
    tools, load = tmp_path / "tools", tmp_path / "load"
    tools.mkdir()
    load.mkdir()
    daemon = await RawDaemon.spawn(tmp_path / "db.sqlite", cwd=tools)
    daemon.answer_server_request = per_folder(
        {
            tools.as_uri(): shell_script(turns=count * len(WAYS)),
            load.as_uri(): LOAD,
        }
    )
    burner = await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass")
    stop = asyncio.Event()
    load_turns: list[dict[str, Any]] = []
    tally = Tally()
    try:
        await daemon.initialize([tools, load], capabilities={"workspace": {"configuration": True}})
        loader = asyncio.ensure_future(keep_loaded(daemon, load.as_uri(), stop, load_turns))
        while not daemon.events:  # noqa: ASYNC110 - the first load event arrives on the reader task
            await asyncio.sleep(0.01)
        known: set[str] = set()  # the tools folder's conversations
        for n in range(count * len(WAYS)):
            await cancel_one(daemon, n, WAYS[n % len(WAYS)], tools.as_uri(), known, tally)
        stop.set()
        await daemon.close(timeout=20)
        await asyncio.gather(loader, return_exceptions=True)
    finally:
        stop.set()
        daemon.kill()
        with contextlib.suppress(ProcessLookupError):
            burner.kill()
        await burner.wait()

    for way in WAYS:
        record(
            f"cancel_load/{way.strip('$/').replace('/', '_')}",
            runs=len(tally.latencies[way]),
            limit_s=GONE_LIMIT,
            **summary(tally.latencies[way]),
            resolved_p50_s=round(statistics.median(tally.resolved[way]), 3),
            resolved_max_s=round(max(tally.resolved[way]), 3),
            load_turns_completed=len(load_turns),
            load_events_during_shell_min=min(tally.load_events_during_shell),
        )
    assert tally.problems == []
    for way in WAYS:
        assert len(tally.latencies[way]) == count
        assert max(tally.latencies[way]) < GONE_LIMIT, (way, tally.latencies[way])
    assert (
        min(tally.load_events_during_shell) > 0
    )  # the daemon was streaming the other turn meanwhile
