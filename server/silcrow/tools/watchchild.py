"""Watching a workspace's files from a child process, so the daemon never waits for the watcher.

watchfiles' Rust watcher holds the interpreter lock while it sets itself up
(an inotify watch per folder: about 0.3 s for a tree of 1,000 folders and
100,000 files), which in the daemon would stall the event loop and the
first prompt of a big workspace. In a child process it costs the daemon
nothing but reading the lines the child writes.

Algorithm:
1. ``watch_in_child(root, on_changes, stop, ready)`` starts ``python -m
   silcrow.tools.watchchild ROOT`` (the daemon's interpreter and
   ``PYTHONPATH``, as ``indexchild``) with a pipe on its stdin and stdout.
2. The child (``main``) watches ``ROOT`` with ``watchfiles.watch`` (200 ms
   debounce; anything inside ``.git`` left out). Once the watcher is set up
   (its first idle wake-up, within ``WAKE_MS``) it writes ``[]``; then each
   batch of changed paths as one JSON list on a line of its own. It stops
   when its stdin reaches end of file: the daemon closed it, or died.
3. The daemon sets ``ready`` at the first line (and whenever it stops
   watching: a caller waiting for it never hangs), hands each non-empty
   batch to ``on_changes`` in order, until ``stop`` is set, the child's
   output ends (its exit is logged with its status), or the task is
   cancelled; then it closes the child's stdin and kills it if it has not
   exited within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from silcrow.tools.indexchild import child_env

log = logging.getLogger(__name__)

GIT_PART = f"{os.sep}.git{os.sep}"
WAKE_MS = 200  # how often the child's watcher wakes when nothing changes


def wanted(_change: object, name: str) -> bool:
    """What the watcher reports: anything outside ``.git``."""
    return GIT_PART not in name and not name.endswith(f"{os.sep}.git")


def main(argv: list[str]) -> int:
    """Step 2 (the child)."""
    from watchfiles import watch

    stop = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.buffer.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    ready = False
    for changes in watch(
        argv[1],
        watch_filter=wanted,
        stop_event=stop,
        debounce=200,
        step=50,
        rust_timeout=WAKE_MS,
        yield_on_timeout=True,
        raise_interrupt=False,
    ):
        if changes or not ready:
            sys.stdout.write(json.dumps(sorted({name for _, name in changes})) + "\n")
            sys.stdout.flush()
            ready = True
    return 0


async def watch_in_child(
    root: Path,
    on_changes: Callable[[list[Path]], Awaitable[None]],
    stop: asyncio.Event,
    ready: asyncio.Event,
) -> None:
    """Steps 1 and 3 (the daemon)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "silcrow.tools.watchchild",
        str(root),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=child_env(),
    )
    assert proc.stdout is not None and proc.stdin is not None
    stopping = asyncio.ensure_future(stop.wait())
    line: asyncio.Future[bytes] | None = None
    try:
        while True:
            line = asyncio.ensure_future(proc.stdout.readline())
            await asyncio.wait({line, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not line.done():
                return
            if not line.result():
                log.warning("the file watcher of %s exited (status %s)", root, await proc.wait())
                return
            ready.set()
            if names := json.loads(line.result()):
                await on_changes([Path(name) for name in names])
    finally:
        ready.set()
        stopping.cancel()
        if line is not None:
            line.cancel()
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 1.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
