"""Building a ``FileIndex`` in a child process, so the daemon's own work never waits for it.

Scanning 100,000 entries is seconds of Python (``os.scandir``, ``.gitignore``
rules); in a worker thread of the daemon it holds the interpreter lock for
much of that time, and the first prompt of a big workspace waits for its
share. In a child process the scan costs the daemon only the installing of
what the child read.

Algorithm:
1. ``build_in_child(index)`` starts ``python -m silcrow.tools.indexchild ROOT
   MAX_ENTRIES`` (the daemon's interpreter, with the folder that holds the
   ``silcrow`` package first on ``PYTHONPATH``) and marks the index as
   building (``FileIndex.begin``).
2. The child (``scan``) lowers its own priority (``os.nice``), then reads the
   tree breadth-first exactly as ``FileIndex.build`` does
   (``fileindex.read_folder``: ``.git`` skipped, ``.gitignore`` obeyed,
   symlinked folders listed but not entered), stopping before a folder once
   ``MAX_ENTRIES`` entries are held. It writes frames to its stdout: a
   4-byte big-endian length, then ``marshal`` data: a list of ``(folder,
   mtime_ns, [(name, is_dir, is_link, size), ...])``, about ``FRAME_ENTRIES``
   entries a frame; the last frame is ``("done", complete, notes)``
   (``notes``: the ``.gitignore`` files not applied, and why).
3. The daemon installs each folder as its frame arrives, on the event loop
   (``FileIndex.install``: about 5 ms per frame, 0.25 s of CPU for 100,000
   entries), then calls ``FileIndex.finish`` (sorting the names, building
   the mentions haystack: about 0.17 s) in a worker thread. A thread build
   costs the daemon about 3.2 s of CPU for the same tree.
4. If the child cannot be started or dies before its last frame, the index
   is built in a worker thread instead (``FileIndex.build``, which rescans
   what was installed). Cancelling ``build_in_child`` kills the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import os
import struct
import sys
from collections import deque
from pathlib import Path
from typing import BinaryIO

import silcrow
from silcrow.tools.fileindex import FileIndex, Item, join_rel, read_folder
from silcrow.tools.walk import GitIgnore

log = logging.getLogger(__name__)

FRAME_ENTRIES = 2_000
NICENESS = 10
_LENGTH = struct.Struct(">I")

Folder = tuple[str, int, list[Item]]  # folder, mtime_ns, its entries


# -- the child -----------------------------------------------------------------------------
Frame = list[Folder] | tuple[str, bool, list[str]]


def _write(out: BinaryIO, frame: Frame) -> None:
    data = marshal.dumps(frame)
    out.write(_LENGTH.pack(len(data)) + data)


def scan(root: Path, max_entries: int, out: BinaryIO) -> None:
    """Step 2: read the tree breadth-first and write it to ``out`` as frames."""
    ignore = GitIgnore(root)
    queue, entries, complete = deque([""]), 0, True
    frame: list[Folder] = []
    held = 0
    while queue:
        if entries >= max_entries:
            complete = False
            break
        folder = queue.popleft()
        read = read_folder(root, ignore, folder)
        if read is None:
            continue
        nodes, mtime = read
        entries += len(nodes)
        frame.append(
            (folder, mtime, [(n.name, n.is_dir, n.is_link, n.size) for n in nodes.values()])
        )
        queue.extend(join_rel(folder, n.name) for n in nodes.values() if n.is_dir and not n.is_link)
        held += len(nodes) + 1
        if held >= FRAME_ENTRIES:
            _write(out, frame)
            frame, held = [], 0
    if frame:
        _write(out, frame)
    _write(out, ("done", complete, ignore.notes))
    out.flush()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m silcrow.tools.indexchild ROOT MAX_ENTRIES", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # the daemon's own work comes first
    scan(Path(argv[0]), int(argv[1]), sys.stdout.buffer)
    return 0


# -- the daemon ----------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    """The daemon's environment with the folder holding ``silcrow`` first on ``PYTHONPATH``."""
    package_home = str(Path(silcrow.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_home, env.get("PYTHONPATH")) if p)
    return env


async def build_in_child(index: FileIndex) -> None:
    """Steps 1, 3 and 4: fill ``index`` from a child process's scan of its root."""
    index.begin()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "silcrow.tools.indexchild",
            str(index.root),
            str(index.max_entries),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            env=child_env(),
        )
    except OSError as exc:
        log.warning("index of %s built in a thread: no child process (%s)", index.root, exc)
        await asyncio.to_thread(index.build)
        return
    try:
        done = await _install(index, proc)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    if done is None:
        log.warning("index of %s built in a thread: the child process failed", index.root)
        await asyncio.to_thread(index.build)
        return
    complete, notes = done
    await asyncio.to_thread(index.finish, complete, notes)


async def _install(
    index: FileIndex, proc: asyncio.subprocess.Process
) -> tuple[bool, list[str]] | None:
    """Install each frame's folders; ``(complete, notes)`` from the last frame, None if cut short."""
    assert proc.stdout is not None
    try:
        while True:
            (length,) = _LENGTH.unpack(await proc.stdout.readexactly(_LENGTH.size))
            frame = marshal.loads(await proc.stdout.readexactly(length))
            if isinstance(frame, tuple):
                _, complete, notes = frame
                return bool(complete), [str(n) for n in notes]
            for folder, mtime, items in frame:
                index.install(folder, items, mtime)
    except (asyncio.IncompleteReadError, ValueError, EOFError, TypeError):
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
