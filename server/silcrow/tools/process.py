"""Running one shell command: allowlisted environment, sandbox, caps, kill.

Algorithm:
1. ``scrubbed_env`` keeps only allowlisted variables (``ENV_ALLOWLIST``:
   PATH, HOME, USER, LANG, LC_*, TERM, TZ, TMPDIR, ...) plus the names the
   user adds (setting ``shellEnv``); every other variable of the daemon,
   secret or not, stays out of the child.
2. ``run_shell`` starts ``/bin/sh -c command`` in its own session (so its
   process group id is its pid), stdin closed, stdout and stderr merged into
   one pipe; with a ``Sandbox`` (``silcrow.tools.sandbox``) the shell runs
   inside bubblewrap, whose ``--info-fd`` names the command's PID
   namespace. A ``SubprocessProtocol`` feeds every chunk into a head+tail
   buffer and, in order, to ``on_output``; it signals the exit separately
   from the pipe's closing.
3. We wait for the shell to exit, not for the pipe to close: a background
   grandchild may hold the pipe open for ever. In a sandbox the shell's exit
   ends the namespace's init, and the kernel kills every process left in it
   (``setsid``, ``nohup``, double forks included). After the exit the pipe
   gets a short drain deadline, then whatever is left is killed.
4. Timeout or cancellation kills the job (``_Job.kill``): SIGTERM, a short
   grace, SIGKILL - to the process group, or in a sandbox to every member of
   the namespace and then its init. Cancellation is re-raised after the
   kill; a cancel that lands while the process is still being started waits
   for the start, then kills.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from silcrow.tools.base import OutputSink, ShellOutcome
from silcrow.tools.sandbox import Sandbox, namespace_members, parse_info
from silcrow.tools.text import HeadTail

KILL_GRACE = 0.5
DRAIN_DEADLINE = 0.3
# What a command needs to find programs, speak the user's language and write
# temporary files; anything else only when the user names it (``shellEnv``).
ENV_ALLOWLIST = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "COLORTERM",
     "NO_COLOR", "TZ", "TMPDIR", "PWD"}
)  # fmt: skip
ENV_PREFIXES = ("LC_",)


def scrubbed_env(
    environ: Mapping[str, str] | None = None, extra: Iterable[str] = ()
) -> dict[str, str]:
    """The allowlisted part of the environment, plus the names in ``extra``."""
    source = os.environ if environ is None else environ
    wanted = ENV_ALLOWLIST | set(extra)
    env = {k: v for k, v in source.items() if k in wanted or k.startswith(ENV_PREFIXES)}
    if "PATH" in env:
        env["PATH"] = absolute_path_list(env["PATH"])
    return env


def absolute_path_list(value: str) -> str:
    """``PATH`` without empty or relative entries: with ``.`` on it, an approved ``ls``
    would run a ``./ls`` the agent wrote."""
    return os.pathsep.join(p for p in value.split(os.pathsep) if os.path.isabs(p))


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


def _signal(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


async def kill_group(pgid: int, *, grace: float = KILL_GRACE) -> None:
    """SIGTERM the group, wait up to ``grace`` seconds, SIGKILL what is left and wait for it."""
    _signal_group(pgid, signal.SIGTERM)
    if not await _wait_until(lambda: not group_running(pgid), grace):
        _signal_group(pgid, signal.SIGKILL)
        await _wait_until(lambda: not group_running(pgid), grace)


async def _wait_until(done: Callable[[], bool], seconds: float) -> bool:
    """Poll ``done`` until true; False if it is still false after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    # No event fires when a process group or a namespace empties; polling is the only way.
    while not done():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@dataclass
class _Job:
    """What one command started: a process group, and in a sandbox a PID namespace."""

    pgid: int
    namespace: int | None = None
    init: int | None = None

    def running(self) -> bool:
        if self.namespace is not None and namespace_members(self.namespace):
            return True
        return group_running(self.pgid)

    async def kill(self, grace: float = KILL_GRACE) -> None:
        """Group: SIGTERM, grace, SIGKILL. Namespace: SIGTERM its members, grace, SIGKILL its init."""
        ns = self.namespace
        if ns is None:
            await kill_group(self.pgid, grace=grace)
            return
        _signal(namespace_members(ns), signal.SIGTERM)
        if not await _wait_until(lambda: not namespace_members(ns), grace):
            # The init of a PID namespace dying takes every member with it.
            _signal([p for p in namespace_members(ns) if p == self.init], signal.SIGKILL)
            _signal(namespace_members(ns), signal.SIGKILL)
            await _wait_until(lambda: not namespace_members(ns), grace)
        await kill_group(self.pgid, grace=grace)


async def _start(
    argv: list[str],
    cwd: Path,
    env: Mapping[str, str],
    limit: int,
    on_output: OutputSink | None,
    pass_fds: tuple[int, ...],
) -> tuple[asyncio.SubprocessTransport, _ShellProtocol]:
    loop = asyncio.get_running_loop()
    return await loop.subprocess_exec(
        lambda: _ShellProtocol(limit, on_output), *argv,
        cwd=str(cwd), env=dict(env), pass_fds=pass_fds,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


async def run_shell(
    command: str,
    *,
    cwd: Path,
    timeout: float,  # noqa: ASYNC109 - the Workspace port passes a number
    limit: int,
    on_output: OutputSink | None = None,
    env: Mapping[str, str] | None = None,
    sandbox: Sandbox | None = None,
) -> ShellOutcome:
    """Run ``command`` under ``/bin/sh -c`` in ``cwd``; see the module docstring."""
    child_env = dict(env) if env is not None else scrubbed_env()
    child_env["PWD"] = str(cwd)
    argv, info_read, info_write = ["/bin/sh", "-c", command], -1, -1
    if sandbox is not None:
        info_read, info_write = os.pipe()
        argv = sandbox.argv(command, cwd, info_write)
        child_env["TMPDIR"] = "/tmp"
    spawn = asyncio.ensure_future(
        _start(argv, cwd, child_env, limit, on_output, (info_write,) if sandbox else ())
    )
    try:
        try:
            transport, proto = await asyncio.shield(spawn)
        finally:
            if sandbox is not None:
                os.close(info_write)
    except asyncio.CancelledError:
        # Cancelled while starting: let the start finish, then kill what it started.
        if sandbox is not None:
            os.close(info_read)
        transport, proto = await spawn
        await _Job(transport.get_pid()).kill()
        proto.finish()
        transport.close()
        raise
    except BaseException:
        if sandbox is not None:
            os.close(info_read)
        raise
    job = _Job(transport.get_pid())
    info_pipe = os.fdopen(info_read, "rb", buffering=0) if sandbox is not None else None
    timed_out = False
    try:
        if info_pipe is not None:
            info = parse_info(await _read_to_eof(info_pipe))
            job.namespace, job.init = info.get("pid-namespace"), info.get("child-pid")
        try:
            async with asyncio.timeout(timeout):
                await proto.exited.wait()
        except TimeoutError:
            timed_out = True
            await job.kill()
            await _wait_briefly(proto.exited, KILL_GRACE)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_DEADLINE):
                await proto.closed.wait()
        if job.running():
            await job.kill(grace=0.1)
    except asyncio.CancelledError:
        await asyncio.shield(job.kill())
        raise
    finally:
        if info_pipe is not None:
            info_pipe.close()
        proto.finish()
        transport.close()
    if on_output is not None:
        await _wait_briefly(proto.pump, DRAIN_DEADLINE)
    code = None if timed_out else transport.get_returncode()
    return ShellOutcome(
        exit_code=code, output=proto.buffer.text(), timed_out=timed_out,
        truncated=proto.buffer.truncated,
    )  # fmt: skip


async def _read_to_eof(pipe: BinaryIO) -> bytes:
    """Everything written to ``pipe`` until its writer closes it, without blocking the loop."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    try:
        return await reader.read()
    finally:
        transport.close()


async def _wait_briefly(waitable: asyncio.Event | asyncio.Future[None], seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            if isinstance(waitable, asyncio.Event):
                await waitable.wait()
            else:
                await asyncio.shield(waitable)
