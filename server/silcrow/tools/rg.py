"""Running ripgrep (``rg``): where it is, the flags that make it see what the walker sees, its output as a stream.

Algorithm:
1. ``locate()``: ``$SILCROW_RG`` when set (a path to the binary, or ``off``
   for none), else the ``rg`` the PyPI ``ripgrep`` wheel installed beside the
   running Python (the environment's scripts folder), else ``rg`` on
   ``PATH``. ``None`` means there is no rg; callers fall back to the
   in-Python walk.
2. ``tree_flags(max_bytes)`` make rg's tree the one ``silcrow.tools.walk``
   lists: hidden files included, ``.git`` excluded, each folder's
   ``.gitignore`` applied whether or not the folder is a git repository
   (``--no-require-git``), and no rule from outside the workspace: no
   parent-folder, global or ``.git/info/exclude`` rules, no
   ``.ignore``/``.rgignore``; symlinks are not followed. Files over
   ``max_bytes`` are skipped (``--max-filesize``) and so are binary files (rg
   stops reading a file at its first NUL byte and reports nothing from it).
   No config file is read (``--no-config``), so no user setting changes the
   flags. Secret-looking files are the caller's to drop (``PathPolicy``):
   a glob would also hide a folder named like one.
3. ``records(argv, cwd)`` runs rg in its own session and yields the
   NUL-terminated records of its stdout (``--null``: one path per record),
   decoded as file names are (``os.fsdecode``), a batch per read as soon as
   it arrives, so the first results come before the walk ends. When
   the consumer stops early (enough results, an error, a cancelled tool
   call), rg's process group is killed at once with SIGKILL and reaped.
   Exit 1 is "nothing found"; exit 2 with stderr is an ``RgError``
   carrying rg's message (a pattern rg refuses, a folder it cannot read is
   only a warning when other results came).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sysconfig
from collections.abc import AsyncGenerator
from pathlib import Path

ENV_VAR = "SILCROW_RG"
READ_CHUNK = 1 << 16


class RgError(RuntimeError):
    """rg exited with an error (exit code 2) and said why on stderr."""


def locate() -> Path | None:
    """The rg binary to use, or None when there is none (see step 1)."""
    wanted = os.environ.get(ENV_VAR)
    if wanted is not None:
        if wanted.strip().lower() in ("", "off", "none"):
            return None
        path = Path(wanted)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    beside = Path(sysconfig.get_path("scripts")) / "rg"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("rg")
    return Path(found) if found else None


def tree_flags(max_bytes: int) -> list[str]:
    """Flags that make rg walk the tree ``silcrow.tools.walk`` walks (step 2)."""
    flags = [
        "--hidden",
        "--no-require-git",
        "--no-ignore-parent",
        "--no-ignore-global",
        "--no-ignore-exclude",
        "--no-ignore-dot",
        "--no-config",
        "--null",
        "--no-messages",
        f"--max-filesize={max_bytes}",
        "--glob=!.git",
    ]
    return flags


async def records(argv: list[str], cwd: Path) -> AsyncGenerator[list[str], None]:
    """The NUL-terminated records rg writes, a batch per read; rg is killed when iteration stops."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    complete = False
    produced = False
    try:
        pending = b""
        while chunk := await proc.stdout.read(READ_CHUNK):
            pending += chunk
            *done, pending = pending.split(b"\0")
            if done:
                produced = True
                yield [os.fsdecode(record) for record in done]
        if pending:
            produced = True
            yield [os.fsdecode(pending)]
        errors = await proc.stderr.read()
        code = await proc.wait()
        complete = True
        if code == 2 and not produced:
            message = errors.decode("utf-8", "replace").strip() or "rg failed"
            raise RgError(message)
    finally:
        if not complete:
            _kill(proc)
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()


def _kill(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL rg's whole process group now (its own session: the group id is its pid)."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
