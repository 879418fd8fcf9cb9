"""Editor death: the daemon goes when its editor does, and takes its shell commands with it (issue 8).

Each run starts ``silcrow serve`` and a turn whose scripted model calls the
shell with ``sleep 60 & sleep 60; wait`` (two children in the command's
process group; the client grants the permission when asked). Once both
``sleep`` processes run, the editor "dies":

a. stdin is closed (the editor's pipe went away): the daemon must exit
   within ``STDIN_EXIT_LIMIT`` (1 s) of the close, with code 0;
b. the process named by ``initialize``'s ``processId`` (a ``sleep`` the test
   spawned to stand in for the editor) is SIGKILLed and reaped while stdin
   stays open: the daemon must exit within ``WATCHDOG_PERIOD + 1 s``, with
   code 1.

In both cases, the moment the daemon has exited, no process of the shell's
process group and no process that was below the daemon may still run
(zombies awaiting their reaper count as gone). Exit latencies (p50, max)
are recorded.

``ShellRun`` and its helpers are shared with ``test_cancel_load``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reliability.knobs import record, runs
from reliability.procs import RawDaemon, descendants
from silcrow.lsp.daemon import WATCHDOG_PERIOD
from silcrow.tools.process import group_running

SHELL = "sleep 60 & sleep 60; wait"
STDIN_EXIT_LIMIT = 1.0
PARENT_EXIT_LIMIT = WATCHDOG_PERIOD + 1.0
START_DEADLINE = (
    30.0  # seconds for the daemon to start the shell command (first prompt imports the agent)
)


def shell_call(command: str = SHELL) -> str:
    return f"§call: {json.dumps({'name': 'shell', 'args': {'command': command}})}\n§execute\n"


def shell_script(turns: int = 1) -> dict[str, Any]:
    """Settings whose scripted model runs the shell command once per turn."""
    return {"fakeScript": {"replies": [shell_call()] * turns, "chunk": 64, "delay": 0.0}}


def stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...); [] if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    fields = stat(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return ""


def daemon_helper(pid: int) -> bool:
    """The daemon's own long-lived children (its file watcher), which no command started."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"silcrow.tools.watchchild" in f.read()
    except OSError:
        return False


@dataclass(frozen=True)
class ShellRun:
    """A running shell command of the daemon: its process group and every process below the daemon."""

    pgid: int
    sleeps: list[int]
    below: list[int]

    def survivors(self) -> list[int]:
        """Processes of the command still running (the group's, and anything once below the daemon)."""
        left = [pid for pid in self.below if running(pid)]
        if not left and group_running(self.pgid):
            left.append(self.pgid)  # a member started after the snapshot
        return left


async def shell_started(
    daemon_pid: int, conversation: asyncio.Future[Any] | None = None
) -> ShellRun:
    """Wait until the shell command's two ``sleep`` children run; fails if the turn ends first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_DEADLINE
    while loop.time() < deadline:
        if conversation is not None and conversation.done():
            raise AssertionError(
                f"the turn ended before its shell command ran: {conversation.result()}"
            )
        below = [pid for pid in descendants(daemon_pid) if not daemon_helper(pid)]
        sleeps = [pid for pid in below if comm(pid) == "sleep"]
        groups = {int(fields[2]) for fields in map(stat, sleeps) if fields}
        if len(sleeps) == 2 and len(groups) == 1:
            return ShellRun(groups.pop(), sleeps, below)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no shell command started within {START_DEADLINE}s")


async def exit_after(daemon: RawDaemon, limit: float) -> float:
    """Seconds until the daemon's process exits (waiting at most ``limit`` + 10 s)."""
    start = time.monotonic()
    await asyncio.wait_for(daemon.proc.wait(), limit + 10)
    return time.monotonic() - start


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_s": round(statistics.median(latencies), 3), "max_s": round(max(latencies), 3)}


async def spawn_with_shell(
    tmp: Path, n: int, process_id: int
) -> tuple[RawDaemon, ShellRun, asyncio.Future[Any]]:
    """A daemon whose ``initialize`` names ``process_id``, its prompt running the shell command."""
    root = tmp / f"ws{n}"
    root.mkdir()
    daemon = await RawDaemon.spawn(tmp / f"run{n}.db", cwd=root)
    await daemon.request(
        "initialize",
        {
            "processId": process_id,
            "rootUri": root.as_uri(),
            "capabilities": {},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "initializationOptions": {"provider": "fake", **shell_script()},
        },
    )
    daemon.notify("initialized", {})
    prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "run it"}))
    try:
        shell = await shell_started(daemon.pid, prompt)
    except BaseException:
        daemon.kill()
        raise
    return daemon, shell, prompt


@dataclass
class Deaths:
    latencies: list[float]
    codes: list[int]
    survivors: list[list[int]]
    permission_asks: int = 0

    def check(self, name: str, limit: float, code: int, count: int) -> None:
        record(
            name,
            runs=len(self.latencies),
            limit_s=limit,
            **summary(self.latencies),
            exit_codes=sorted(set(self.codes)),
            survivors=sum(len(s) for s in self.survivors),
            permission_asks=self.permission_asks,
        )
        assert len(self.latencies) == count
        assert self.codes == [code] * count
        assert self.survivors == [[]] * count
        assert self.permission_asks == count  # one grant per shell call, so the command really ran
        assert max(self.latencies) < limit, self.latencies


def asks(daemon: RawDaemon) -> int:
    return sum(
        1
        for r in daemon.requests
        if r["method"] in ("window/showMessageRequest", "silcrow/requestPermission")
    )


async def test_closing_stdin_ends_the_daemon_within_a_second_and_kills_its_shell(
    tmp_path: Path,
) -> None:
    count = runs(3, 50)
    deaths = Deaths([], [], [])
    for n in range(count):
        daemon, shell, prompt = await spawn_with_shell(tmp_path, n, os.getpid())
        try:
            stdin = daemon.proc.stdin
            assert stdin is not None
            stdin.close()
            deaths.latencies.append(await exit_after(daemon, STDIN_EXIT_LIMIT))
            deaths.survivors.append(shell.survivors())
            deaths.codes.append(await daemon.wait())
            deaths.permission_asks += asks(daemon)
            await asyncio.gather(prompt, return_exceptions=True)  # it ends with the connection
        finally:
            daemon.kill()
    deaths.check("editor_death/stdin_closed", STDIN_EXIT_LIMIT, 0, count)


async def test_a_killed_parent_ends_the_daemon_within_the_watchdog_period_and_kills_its_shell(
    tmp_path: Path,
) -> None:
    count = runs(3, 50)
    deaths = Deaths([], [], [])
    for n in range(count):
        editor = await asyncio.create_subprocess_exec("sleep", "600")
        try:
            daemon, shell, prompt = await spawn_with_shell(tmp_path, n, editor.pid)
            try:
                start = time.monotonic()
                editor.kill()
                await editor.wait()  # reaped: its pid is gone, as an editor's would be
                await asyncio.wait_for(daemon.proc.wait(), PARENT_EXIT_LIMIT + 10)
                deaths.latencies.append(time.monotonic() - start)
                deaths.survivors.append(shell.survivors())
                deaths.codes.append(await daemon.wait())
                deaths.permission_asks += asks(daemon)
                await asyncio.gather(prompt, return_exceptions=True)
            finally:
                daemon.kill()
        finally:
            with contextlib.suppress(ProcessLookupError):
                editor.kill()
            await editor.wait()
    deaths.check("editor_death/parent_killed", PARENT_EXIT_LIMIT, 1, count)
