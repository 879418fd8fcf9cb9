"""``LocalWorkspace``: the Workspace port on local disk, confined to a root.

Algorithm:
1. Path checks come from ``PathPolicy`` (``silcrow.tools.paths``):
   ``resolve`` confines, ``check_read`` adds the secret-name rule,
   ``check_write`` adds the protected-path rules.
2. ``read_text``/``write_text`` apply the policy, then call the overridable
   I/O methods ``load_text``/``store_text`` with the resolved path (a text
   holding a private key is refused after loading). While a turn's change
   gate is set (``silcrow.tools.changes``), a write goes through it with
   the file's current text (checkpoint, review) and a read sees what it
   holds. An
   editor-backed workspace overrides only those two (buffers instead of disk)
   and keeps the policy.
3. ``load_text`` opens the resolved path with no symlink followed at any step
   (``silcrow.tools.beneath``: a folder or file swapped for a symlink after
   the policy check is refused), with ``O_NONBLOCK``, and checks ``fstat`` before reading,
   so a FIFO, device or directory is refused without blocking; files over
   ``max_read_bytes`` are refused; NUL bytes or undecodable UTF-8 raise
   ``BinaryFile`` carrying size and a type guess, never the bytes.
4. ``store_text`` writes a temporary file beside the target, fsyncs it and
   renames it over the target (keeping the old mode): durable and atomic;
   the parent folders are reached, and made, without following a symlink.
5. ``run`` delegates (through the overridable ``run_process``, which an
   editor-backed workspace points at the editor's terminal) to
   ``silcrow.tools.process.run_shell`` in the root,
   inside ``sandbox`` when one is set (the daemon sets it when bubblewrap
   works), with the allowlisted environment plus ``shell_env`` names. A
   protected path the command created (it did not exist, so it could not be
   mounted read-only) is named in the output and logged.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import stat
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from silcrow.tools.base import OutputSink, ShellOutcome, ToolError
from silcrow.tools.beneath import SymlinkOnPath, lstat_in, open_file, parent_dir, replace_file
from silcrow.tools.changes import ABSENT, GATE
from silcrow.tools.fileindex import FileIndex
from silcrow.tools.paths import PathPolicy
from silcrow.tools.process import run_shell, scrubbed_env
from silcrow.tools.sandbox import Sandbox
from silcrow.tools.text import human_size

log = logging.getLogger(__name__)

DEFAULT_MAX_READ_BYTES = 20 * 1024 * 1024
DEFAULT_SHELL_OUTPUT = 30_000
SNIFF_BYTES = 8192


class BinaryFile(ToolError):
    """A file that is not UTF-8 text; carries what may be shown instead."""

    def __init__(self, path: str, size: int, kind: str) -> None:
        super().__init__(
            f"{path} is a binary file ({kind}, {human_size(size)}); its bytes are not shown"
        )
        self.path = path
        self.size = size
        self.kind = kind


def guess_kind(name: str, head: bytes) -> str:
    """A short type guess from magic bytes, then the file name."""
    magic = {
        b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
        b"%PDF": "PDF document", b"PK\x03\x04": "zip archive", b"\x7fELF": "ELF executable",
        b"SQLite format 3": "SQLite database", b"\x1f\x8b": "gzip archive",
    }  # fmt: skip
    for prefix, kind in magic.items():
        if head.startswith(prefix):
            return kind
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "unknown binary data"


def file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory (use the list tool)"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def too_large(display: str, size: int, max_bytes: int) -> ToolError:
    """The error for a file over the read limit, saying how to see parts of it."""
    return ToolError(
        f"{display} is {human_size(size)}, over the {human_size(max_bytes)} read limit; "
        "use find to search it or shell tools (head, sed -n) to view parts"
    )


def read_regular(real: Path, display: str, max_bytes: int) -> str:
    """Read a regular UTF-8 file without following a symlink or blocking on a FIFO or device."""
    try:
        fd = open_file(real, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ToolError(f"{display} does not exist; use list or find to locate the file") from None
    except IsADirectoryError:
        raise ToolError(f"{display} is a directory (use the list tool)") from None
    except SymlinkOnPath:
        raise ToolError(
            f"{display} is refused: a symlink appeared on its path while it was read"
        ) from None
    except OSError as exc:
        raise ToolError(f"cannot open {display}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ToolError(f"{display} is {file_kind(info.st_mode)}; only regular files are read")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > max_bytes:
            raise too_large(display, info.st_size, max_bytes)
        data = fh.read(max_bytes + 1)
    if b"\x00" in data[:SNIFF_BYTES]:
        raise BinaryFile(display, len(data), guess_kind(real.name, data[:32]))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BinaryFile(display, len(data), guess_kind(real.name, data[:32])) from None


def write_atomic(real: Path, text: str) -> None:
    """Write via a fsynced temporary file renamed over ``real``; parents are created.

    The parent folders are reached without following a symlink (``beneath``),
    so a folder swapped for an outward symlink after the path check fails
    the write instead of redirecting it.
    """
    data = text.encode("utf-8")
    try:
        with parent_dir(real, create=True) as parent:
            info = lstat_in(parent, real.name)
            if info is not None and stat.S_ISLNK(info.st_mode):  # the resolved leaf was swapped
                raise SymlinkOnPath(real)
            if info is not None and not stat.S_ISREG(info.st_mode):
                raise ToolError(
                    f"{real.name} exists and is not a regular file; writes replace only files"
                )
            mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
            replace_file(parent, real.name, data, mode)
    except SymlinkOnPath:
        raise ToolError(f"writing {real.name} is refused: a symlink appeared on its path") from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class LocalWorkspace:
    """The Workspace port on disk; every path is confined to ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        protected: Sequence[str] = (),
        allow_secret_reads: bool = False,
        max_read_bytes: int = DEFAULT_MAX_READ_BYTES,
        shell_output_limit: int = DEFAULT_SHELL_OUTPUT,
        sandbox: Sandbox | None = None,
        shell_env: Sequence[str] = (),
    ) -> None:
        root = Path(root).expanduser().resolve()
        if not root.is_dir():
            raise ValueError(f"workspace root {root} is not a directory; pass an existing folder")
        self.root = root
        self.policy = PathPolicy(root, tuple(protected), allow_secret_reads)
        self.max_read_bytes = max_read_bytes
        self.shell_output_limit = shell_output_limit
        self.sandbox = sandbox
        self.shell_env = tuple(shell_env)
        self.index: FileIndex | None = None  # the daemon's watched file index, when it keeps one

    def resolve(self, path: str) -> Path:
        return self.policy.resolve(path)

    def check_read(self, path: str) -> Path:
        return self.policy.for_read(path)

    def check_write(self, path: str) -> Path:
        return self.policy.for_write(path)

    async def read_text(self, path: str) -> str:
        real = self.check_read(path)
        gate = GATE.get()
        held = gate.held(real) if gate is not None else ABSENT
        text = held if isinstance(held, str) else await self.load_text(real, path)
        return self.policy.check_content(path, text)

    async def write_text(self, path: str, text: str) -> None:
        real = self.check_write(path)
        gate = GATE.get()
        if gate is None:
            await self.store_text(real, text)
            return
        try:
            old = await self.current_text(real, path) if await self.exists(real) else None
        except ToolError:
            if gate.reviewing:
                raise ToolError(
                    f"{path} is not a text file Silcrow can show for review; it is unchanged"
                ) from None
            await self.store_text(real, text)  # nothing to checkpoint: not text
            return
        await gate.write(real, old, text, self.store_text)

    async def current_text(self, real: Path, display: str) -> str:
        """The text a change would replace (an editor-backed workspace: the open buffer, else disk)."""
        return await self.load_text(real, display)

    async def exists(self, real: Path) -> bool:
        """Whether a checked path has a file (an editor-backed workspace: or an open buffer)."""
        return await asyncio.to_thread(real.exists)

    async def remove(self, real: Path) -> None:
        """I/O only (override for editor edits): delete a checked file (a revert of a creation)."""
        await asyncio.to_thread(real.unlink, missing_ok=True)

    async def load_text(self, real: Path, display: str) -> str:
        """I/O only (override for editor buffers): the text of a checked path."""
        return await asyncio.to_thread(read_regular, real, display, self.max_read_bytes)

    async def store_text(self, real: Path, text: str) -> None:
        """I/O only (override for editor edits): replace a checked path's text."""
        await asyncio.to_thread(write_atomic, real, text)

    async def run(
        self,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the port's signature
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        sandbox = self.sandbox
        absent = await asyncio.to_thread(sandbox.absent, self.root) if sandbox is not None else []
        outcome = await self.run_process(command, timeout=timeout, on_output=on_output)
        created = await asyncio.to_thread(_created, self.root, absent) if absent else []
        if not created:
            return outcome
        note = (
            f"[sandbox: this command created {', '.join(created)}, which Silcrow protects from "
            "commands; the user should review it before an editor or git uses it]"
        )
        log.warning("%s (command: %s)", note, command)
        return replace(outcome, output=f"{outcome.output.rstrip()}\n{note}\n")

    async def run_process(
        self,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the port's signature
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        """I/O only (override to run elsewhere, e.g. the editor's terminal): one command, sandboxed."""
        return await run_shell(
            command, cwd=self.root, timeout=timeout, limit=self.shell_output_limit, on_output=on_output,
            env=scrubbed_env(extra=self.shell_env), sandbox=self.sandbox,
        )  # fmt: skip


def _created(root: Path, absent: list[Path]) -> list[str]:
    """Which of ``absent`` exist now, relative to ``root`` where they are inside it."""
    return [p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)
            for p in absent if os.path.lexists(p)]  # fmt: skip
