"""Reading many files under one folder through reused folder descriptors, no symlink followed.

A search confirms hundreds of files. Resolving each path (``PathPolicy.for_read``)
and opening it from ``/`` one component at a time (``silcrow.tools.beneath``)
costs more than reading it, mostly in path objects. A ``TreeReader`` does the
same walk with plain strings and keeps the folder descriptors it opened.

Algorithm:
1. ``TreeReader(root)`` opens ``root`` once with ``beneath.open_dir`` (no
   symlink on the way).
2. ``read(rel, max_bytes)`` takes a plain relative path: ``/``-separated
   names, none empty, ``.`` or ``..`` (anything else is a ``ValueError``).
   Each folder on it is opened relative to its parent's descriptor with
   ``O_DIRECTORY | O_NOFOLLOW`` (the last ``MAX_DIRS`` folders are kept, so
   files in the same folder reuse its descriptor), and the file itself with
   ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO swapped in never blocks). No symlink
   is followed at any step, so the file read is the one at ``root/rel``: it
   is inside the root by construction, which is what ``for_read``'s
   resolving checks. A symlink anywhere on the path is an ``OSError``.
3. The file must be a regular file of at most ``max_bytes``; otherwise
   ``read`` returns None. Its bytes are returned as read.
4. A reader belongs to the thread that made it; ``close()`` (or leaving the
   ``with`` block) closes every descriptor. Folder descriptors live only as
   long as the reader: a folder moved while they are held is read where it
   now is, for the rest of that one batch.
"""

from __future__ import annotations

import os
import stat
from collections import OrderedDict
from pathlib import Path
from types import TracebackType

from silcrow.tools.beneath import DIR_FLAGS, open_dir

MAX_DIRS = 64
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC


class TreeReader:
    """Files under ``root`` read through reused folder descriptors (see the module's algorithm)."""

    def __init__(self, root: Path) -> None:
        self._root = open_dir(root)
        self._dirs: OrderedDict[str, int] = OrderedDict()

    def __enter__(self) -> TreeReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()
        if self._root >= 0:
            os.close(self._root)
            self._root = -1

    def read(self, rel: str, max_bytes: int) -> bytes | None:
        """The bytes of the regular file ``root/rel`` (at most ``max_bytes``), else None (step 3)."""
        if rel.startswith("/"):
            raise ValueError(f"{rel!r} is not a plain relative path (it is absolute)")
        folder, _, name = rel.rpartition("/")
        _check_name(name, rel)
        fd = os.open(name, _FILE_FLAGS, dir_fd=self._folder(folder, rel))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                return None
            chunks = [os.read(fd, info.st_size + 1)]  # one read, unless the file grew meanwhile
            while chunks[-1] and sum(map(len, chunks)) <= max_bytes:
                chunks.append(os.read(fd, max_bytes + 1 - sum(map(len, chunks))))
        finally:
            os.close(fd)
        data = b"".join(chunks)
        return None if len(data) > max_bytes else data

    def _folder(self, folder: str, rel: str) -> int:
        if not folder:
            return self._root
        fd = self._dirs.get(folder)
        if fd is not None:
            self._dirs.move_to_end(folder)
            return fd
        parent, _, name = folder.rpartition("/")
        _check_name(name, rel)
        fd = os.open(name, DIR_FLAGS, dir_fd=self._folder(parent, rel))
        self._dirs[folder] = fd
        if len(self._dirs) > MAX_DIRS:
            os.close(self._dirs.popitem(last=False)[1])
        return fd


def _check_name(name: str, rel: str) -> None:
    if name in ("", ".", ".."):
        raise ValueError(
            f"{rel!r} is not a plain relative path (it has an empty, '.' or '..' part)"
        )
