"""Running one shell command: scrubbed environment, process group, caps, kill.

Algorithm:
1. ``scrubbed_env`` copies the daemon's environment without credentials:
   by name (``*_API_KEY``, ``*_KEY``, ``*_TOKEN``, ``*_SECRET*``,
   ``*PASSWORD*``, ``PRIVATE_KEY``, ``*JWT*``, ``*WEBHOOK*``, ``AWS_*`` keys,
   ...) and by value (anything ``redact`` would hide: ``STRIPE=sk_live_...``);
   PATH, HOME, LANG and the like stay.
2. ``run_shell`` starts ``/bin/sh -c command`` in its own session (so its
   process group id is its pid), stdin closed, stdout and stderr merged into
   one pipe. A ``SubprocessProtocol`` feeds every chunk into a head+tail
   buffer and, in order, to ``on_output``; it signals the shell's exit
   separately from the pipe's closing.
3. We wait for the shell to exit, not for the pipe to close: a background
   grandchild may hold the pipe open for ever. After the exit the pipe gets
   a short drain deadline, then whatever is left of the group is killed.
4. Timeout or cancellation kills the whole group: SIGTERM, a short grace,
   SIGKILL. Cancellation is re-raised after the kill; a cancel that lands
   while the process is still being started waits for the start, then kills.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from silcrow.tools.base import OutputSink, ShellOutcome
from silcrow.tools.redact import redact
from silcrow.tools.text import HeadTail

KILL_GRACE = 0.5
DRAIN_DEADLINE = 0.3
_SECRET_VAR = re.compile(
    r"(_API_KEY|_APIKEY|_KEY$|_TOKEN|_SECRET|SECRET_|PASSWORD|PASSWD|_CREDENTIALS?|PRIVATE_KEY|JWT|WEBHOOK|_PAT$)",
    re.IGNORECASE,
)
_SECRET_EXACT = frozenset(
    {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN",
        "GH_TOKEN", "NPM_TOKEN", "HF_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "DATABASE_URL",
        "SSH_AUTH_SOCK",
    }
)  # fmt: skip


def is_secret_var(name: str) -> bool:
    upper = name.upper()
    return upper in _SECRET_EXACT or bool(_SECRET_VAR.search(upper))


def scrubbed_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without credential-looking variables (by name or by value)."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not is_secret_var(k) and redact(v) == v}


class _ShellProtocol(asyncio.SubprocessProtocol):
    def __init__(self, limit: int, on_output: OutputSink | None) -> None:
        self.buffer = HeadTail(limit)
        self.exited = asyncio.Event()
        self.closed = asyncio.Event()
        self._queue: asyncio.Queue[bytes | None] | None = None
        if on_output is not None:
            self._queue = asyncio.Queue()
            self.pump = asyncio.ensure_future(self._forward(on_output))

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.buffer.add(data)
        if self._queue is not None:
            self._queue.put_nowait(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.closed.set()

    def process_exited(self) -> None:
        self.exited.set()

    def finish(self) -> None:
        if self._queue is not None:
            self._queue.put_nowait(None)

    async def _forward(self, sink: OutputSink) -> None:
        assert self._queue is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while (data := await self._queue.get()) is not None:
            text = decoder.decode(data)
            if text:
                with contextlib.suppress(Exception):
                    await sink(text)


def group_running(pgid: int) -> bool:
    """True while a process of the group is alive (zombies awaiting reaping are dead)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    return any(_member_alive(entry, pgid) for entry in proc.iterdir() if entry.name.isdigit())


def _member_alive(entry: Path, pgid: int) -> bool:
    try:
        stat_line = (entry / "stat").read_text()
    except OSError:
        return False
    # Fields after the command name: state ppid pgrp ...
    fields = stat_line[stat_line.rfind(")") + 2 :].split()
    return len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X")


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def kill_group(pgid: int, *, grace: float = KILL_GRACE) -> None:
    """SIGTERM the group, wait up to ``grace`` seconds, SIGKILL what is left and wait for it."""
    _signal_group(pgid, signal.SIGTERM)
    if not await _wait_group(pgid, grace):
        _signal_group(pgid, signal.SIGKILL)
        await _wait_group(pgid, grace)


async def _wait_group(pgid: int, seconds: float) -> bool:
    """Wait until no process of the group runs; False if some still does after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    # No event fires when a process group empties; polling is the only way.
    while group_running(pgid):
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def run_shell(
    command: str,
    *,
    cwd: Path,
    timeout: float,  # noqa: ASYNC109 - the Workspace port passes a number
    limit: int,
    on_output: OutputSink | None = None,
    env: Mapping[str, str] | None = None,
) -> ShellOutcome:
    """Run ``command`` under ``/bin/sh -c`` in ``cwd``; see the module docstring."""
    loop = asyncio.get_running_loop()
    spawn = asyncio.ensure_future(
        loop.subprocess_exec(
            lambda: _ShellProtocol(limit, on_output),
            "/bin/sh", "-c", command,
            cwd=str(cwd), env=dict(env) if env is not None else scrubbed_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    try:
        transport, proto = await asyncio.shield(spawn)
    except asyncio.CancelledError:
        # Cancelled while starting: let the start finish, then kill what it started.
        transport, proto = await spawn
        await kill_group(transport.get_pid())
        proto.finish()
        transport.close()
        raise
    pgid = transport.get_pid()
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout):
                await proto.exited.wait()
        except TimeoutError:
            timed_out = True
            await kill_group(pgid)
            await _wait_briefly(proto.exited, KILL_GRACE)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_DEADLINE):
                await proto.closed.wait()
        if group_running(pgid):
            await kill_group(pgid, grace=0.1)
    except asyncio.CancelledError:
        await asyncio.shield(kill_group(pgid))
        raise
    finally:
        proto.finish()
        transport.close()
    if on_output is not None:
        await _wait_briefly(proto.pump, DRAIN_DEADLINE)
    code = None if timed_out else transport.get_returncode()
    return ShellOutcome(
        exit_code=code, output=proto.buffer.text(), timed_out=timed_out,
        truncated=proto.buffer.truncated,
    )  # fmt: skip


async def _wait_briefly(waitable: asyncio.Event | asyncio.Future[None], seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            if isinstance(waitable, asyncio.Event):
                await waitable.wait()
            else:
                await asyncio.shield(waitable)
