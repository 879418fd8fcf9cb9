"""Opening a resolved path without following a symlink at any step.

``PathPolicy`` resolves a path (following every symlink) and checks that the
result lies inside the workspace. Between that check and the ``open`` a local
process can swap a folder or the file on the resolved path for a symlink
that points outside; a plain ``open`` would follow it. A resolved path holds
no symlink by construction, so every symlink met while opening it is such a
swap, and the open is refused.

Algorithm:
1. ``open_dir(real, create=False)``: open ``/``, then each component of the
   absolute, resolved ``real`` relative to the previous descriptor
   (``openat`` via ``dir_fd``) with ``O_DIRECTORY | O_NOFOLLOW`` (and
   ``O_PATH`` where the OS has it, so a folder needs only search
   permission). A component that is a symlink fails the open; ``lstat`` on
   it tells a symlink (``SymlinkOnPath``) from a plain "not a directory".
   With ``create``, a missing component is made with ``mkdir(dir_fd=...)``
   and then opened the same way.
2. ``open_file(real, flags)``: ``open_dir(real.parent)``, then the leaf with
   ``flags | O_NOFOLLOW``: the descriptor is the file at ``real`` itself, or
   the call fails (a symlink leaf is ``SymlinkOnPath``).
3. ``replace_file(parent, name, data, mode)``: in a folder descriptor from
   ``parent_dir(real, create=True)`` (folders created as needed), write a
   new temporary file (``O_CREAT | O_EXCL |
   O_NOFOLLOW``), fsync it, set ``mode`` and rename it over the leaf with
   ``src_dir_fd``/``dst_dir_fd``: a rename replaces whatever the leaf is (a
   symlink included) and never writes through it. Durable and atomic.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

DIR_FLAGS = os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_PATH", os.O_RDONLY) | os.O_CLOEXEC


class SymlinkOnPath(OSError):
    """A component of a resolved path is now a symlink: the path changed after it was checked."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            errno.ELOOP, "a symlink appeared on the path after it was checked", str(path)
        )


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _step(name: str, dir_fd: int, here: Path, create: bool) -> int:
    """Open the folder ``name`` inside ``dir_fd`` without following a symlink."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        if not create:
            raise
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP) and _is_link(name, dir_fd):
            raise SymlinkOnPath(here) from None
        raise
    with contextlib.suppress(FileExistsError):  # another writer made it first
        os.mkdir(name, dir_fd=dir_fd)
    return _step(name, dir_fd, here, create=False)


def open_dir(real: Path, *, create: bool = False) -> int:
    """A descriptor for the folder ``real`` (absolute, resolved) reached with no symlink."""
    if not real.is_absolute():
        raise ValueError(f"open_dir takes an absolute resolved path, not {real}")
    fd = os.open("/", DIR_FLAGS)
    here = Path("/")
    try:
        for name in real.parts[1:]:
            here = here / name
            nxt = _step(name, fd, here, create)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def parent_dir(real: Path, *, create: bool = False) -> Iterator[int]:
    """``open_dir(real.parent)`` as a context manager that closes the descriptor."""
    fd = open_dir(real.parent, create=create)
    try:
        yield fd
    finally:
        os.close(fd)


def open_file(real: Path, flags: int) -> int:
    """``os.open(real, flags)`` with no symlink followed at any step (``SymlinkOnPath`` otherwise)."""
    with parent_dir(real) as parent:
        try:
            return os.open(real.name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK) and _is_link(real.name, parent):
                raise SymlinkOnPath(real) from None
            raise


def lstat_in(parent: int, name: str) -> os.stat_result | None:
    """``lstat`` of ``name`` inside the folder descriptor ``parent``; None when it does not exist."""
    try:
        return os.lstat(name, dir_fd=parent)
    except FileNotFoundError:
        return None


def replace_file(parent: int, name: str, data: bytes, mode: int) -> None:
    """Atomically replace ``name`` in the folder ``parent`` with ``data`` (fsynced, ``mode``)."""
    tmp = f".{name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(
        tmp,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o600,
        dir_fd=parent,
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=parent)
        raise
