"""The stdin reader: a thread that parses frames and hands them to the event loop, with back-pressure.

Algorithm:
1. ``StdinPump`` is a thread reading stdin with ``os.read`` into a
   ``FrameParser`` (``silcrow.lsp.frames``); it hands items to the event
   loop once ``attach`` is called and queues them before that (the fast
   initialize path, ``silcrow.lsp.fastinit``, answers the first frame
   early). EOF is delivered as ``EOF``.
2. Back-pressure: it stops reading while more than ``MAX_AHEAD`` bytes of
   items wait for the loop, so a client that writes faster than the daemon
   handles waits in its pipe instead of growing the daemon.
3. With ``exit_after_eof`` (the ``serve`` command sets ``EOF_EXIT_GRACE``),
   EOF also arms a last resort: if the process still runs that many seconds
   later (the orderly stop is stuck behind work that does not yield), the
   pump kills the process groups of the daemon's children (shell commands
   run in their own sessions, ``kill_children``) and ends the process with
   ``os._exit(0)``. The store is crash-safe (SQLite WAL), so nothing shown
   is lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from silcrow.lsp.frames import EOF, Frame, FrameParser, Item

log = logging.getLogger(__name__)

MAX_AHEAD = 8 * 1024 * 1024  # bytes read but not yet handled before the reader stops reading
EOF_EXIT_GRACE = (
    0.5  # seconds the orderly stop gets after stdin closes (the target is exit within 1 s)
)


def _cost(item: object) -> int:
    """What an item waiting for the loop holds: its body (if a frame) and about a kilobyte of objects."""
    return 1024 + (len(item.body) if isinstance(item, Frame) else 0)


class StdinPump(threading.Thread):
    """Reads a file descriptor in a thread; delivers parsed items to the loop."""

    def __init__(
        self,
        fd: int,
        early: Callable[[Frame], None] | None = None,
        *,
        exit_after_eof: float | None = None,
    ) -> None:
        super().__init__(name="silcrow-stdin", daemon=True)
        self._fd = fd
        self._exit_after_eof = exit_after_eof
        self._parser = FrameParser()
        self._early = early
        self._lock = threading.Lock()
        self._pending: list[Item] = []
        self._deliver: Callable[[Item], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ahead = 0  # bytes of items read but not yet handled by the loop
        self._room = threading.Condition()

    def attach(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[Item], None]) -> None:
        with self._lock:
            self._loop, self._deliver = loop, deliver
            pending, self._pending = self._pending, []
        for item in pending:
            loop.call_soon_threadsafe(self._handle, deliver, item)

    def _handle(self, deliver: Callable[[Item], None], item: Item) -> None:
        try:
            deliver(item)
        finally:
            with self._room:
                self._ahead -= _cost(item)
                self._room.notify()

    def _emit(self, item: Item) -> None:
        with self._room:
            self._ahead += _cost(item)
        with self._lock:
            if self._deliver is None or self._loop is None:
                if self._early is not None and isinstance(item, Frame) and not self._pending:
                    try:
                        self._early(item)
                    except Exception:  # the reader thread must outlive any first frame
                        log.exception("the early initialize answer failed")
                self._pending.append(item)
                return
            loop, deliver = self._loop, self._deliver
        try:
            loop.call_soon_threadsafe(self._handle, deliver, item)
        except RuntimeError:  # the loop is closed: we are exiting
            pass

    def run(self) -> None:
        while True:
            with self._room:  # back-pressure: a client faster than the loop waits in its pipe
                self._room.wait_for(lambda: self._ahead <= MAX_AHEAD)
            try:
                data = os.read(self._fd, 65536)
            except OSError as exc:
                log.warning("reading stdin failed: %s", exc)
                data = b""
            if not data:
                self._emit(EOF)
                if self._exit_after_eof is not None:
                    self._last_resort(self._exit_after_eof)
                return
            for item in self._parser.feed(data):
                self._emit(item)

    @staticmethod
    def _last_resort(grace: float) -> None:
        """Step 3's last resort: still here ``grace`` seconds after EOF -> kill the children and exit."""
        time.sleep(grace)
        log.error("stdin closed %.2f s ago and the daemon has not stopped; exiting now", grace)
        kill_children()
        os._exit(0)


def kill_children() -> None:
    """SIGKILL every child of this process with its process group (read from /proc; best effort)."""
    me, my_group = os.getpid(), os.getpgrp()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) != me:
            continue
        pid, group = int(entry), int(fields[2])
        try:
            if group != my_group:
                os.killpg(group, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
