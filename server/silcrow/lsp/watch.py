"""Watching a workspace: its file index kept warm, and which files the model read changed since.

Algorithm:
1. ``record(path)`` is called by the editor-backed workspace after the model
   reads or writes a file: it stores the file's disk signature (mtime_ns,
   size) as the model knows it.
2. ``TreeWatcher`` (one task per workspace, started with the workspace's
   session, never awaited by ``initialize`` or a prompt) watches the tree
   from a child process (``silcrow.tools.watchchild``: watchfiles' set-up
   holds the interpreter lock for a while on a big tree); once it watches
   (or has failed, or after ``WATCH_READY_S``) it builds the workspace's ``FileIndex`` in a child process
   (``silcrow.tools.indexchild``: the scan never competes with the daemon
   for the interpreter lock; a worker thread if no child can run), then passes each
   batch of changes (anything outside ``.git``) to ``StaleFiles.mark_changed``
   (which keeps only recorded paths: everything else is irrelevant to the
   model) and to ``FileIndex.changed`` (in a worker thread). A watcher that
   fails (too many folders for inotify, say) is logged; the index still
   answers, checking each folder's mtime before it lists it.
3. ``notices(is_open)`` (called by the agent at the start of each model
   cycle) takes the changed paths, drops those open in the editor (the model
   reads the buffer, which the editor keeps current) and those whose
   signature is unchanged (our own writes, touch-and-revert), and returns one
   line: "changed on disk since you read them: a.py, b/c.py". Each change is
   told once; the path stays tracked for later changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from silcrow.tools.fileindex import FileIndex
from silcrow.tools.indexchild import build_in_child
from silcrow.tools.watchchild import watch_in_child

log = logging.getLogger(__name__)

Signature = tuple[int, int] | None
WATCH_READY_S = 10.0  # how long the index build waits for the watcher to be set up


def signature(path: Path) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class StaleFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._known: dict[Path, Signature] = {}
        self._changed: set[Path] = set()

    def record(self, path: Path) -> None:
        self._known[path] = signature(path)
        self._changed.discard(path)

    def mark_changed(self, path: Path) -> None:
        if path in self._known:
            self._changed.add(path)

    def notices(self, is_open: Callable[[Path], bool]) -> list[str]:
        stale: list[str] = []
        for path in sorted(self._changed):
            now = signature(path)
            if is_open(path) or now == self._known.get(path):
                continue
            self._known[path] = now
            stale.append(self._display(path))
        self._changed.clear()
        if not stale:
            return []
        return ["changed on disk since you read them: " + ", ".join(stale)]

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


class TreeWatcher:
    """The watch task of one workspace: builds its index, then feeds it and ``StaleFiles`` changes."""

    def __init__(self, root: Path, index: FileIndex, stale: StaleFiles) -> None:
        self.root = root
        self.index = index
        self.stale = stale
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def start(self) -> None:
        """Start (once) in the background; returns at once."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        ready = asyncio.Event()
        watching = asyncio.ensure_future(self._watch(ready))
        try:
            # watching first, so no change between the scan and the watch is missed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), WATCH_READY_S)
            await build_in_child(self.index)
            if self.index.notice:
                log.warning("%s: %s", self.root, self.index.notice)
            await watching
        finally:
            watching.cancel()

    async def _watch(self, ready: asyncio.Event) -> None:
        async def changed(paths: list[Path]) -> None:
            for path in paths:
                self.stale.mark_changed(path)
            await asyncio.to_thread(self.index.changed, paths)

        try:
            await watch_in_child(self.root, changed, self._stop, ready)
        except Exception:  # a watcher failure must not take the daemon down
            log.exception("file watcher for %s stopped", self.root)
        finally:
            ready.set()  # a watcher that could not start must not hold the index build back

    async def aclose(self) -> None:
        self._stop.set()
        self.index.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
