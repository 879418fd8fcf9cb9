"""The guarded reader: LSP frames in, with limits, and no popup floods.

pygls 2.1.1's own reader (``pygls.io_.run_async``) reads whatever
``Content-Length`` says in one call (a huge value dies with MemoryError)
and turns every undecodable frame into a ``window/showMessage`` popup. This
module replaces it.

Algorithm:
1. ``FrameParser.feed(data)`` (sans-I/O) splits bytes into ``Frame`` bodies
   and ``BadFrame`` reports. Headers are limited to 64 KiB; a missing or
   malformed ``Content-Length`` skips that header block; a length above
   ``max_body`` (64 MiB) is reported and its body discarded as it streams
   past, never buffered, so the stream stays in step.
   Resynchronising after a lying header: the last ``Content-Length`` in a
   header block counts even when junk (the body of a refused frame) is
   glued before it on its line; and a ``Content-Length: <digits>\r\n``
   inside a body being read or skipped ends that body early (reported, not
   dispatched). A JSON body cannot contain that text (a raw CR is invalid
   inside a string, the letters outside one), so valid frames are never
   cut; a body that does not end like JSON (``}`` or ``]``) is held until
   the next 64 bytes show whether a header began inside it.
2. ``StdinPump`` is a thread reading stdin with ``os.read`` into a parser; it
   hands frames to the event loop once ``attach`` is called and queues them
   before that (the fast initialize path reads the first frame early). EOF
   is delivered as ``EOF``. It stops reading while more than ``MAX_AHEAD``
   bytes of items wait for the loop, so a client that writes faster than
   the daemon handles waits in its pipe instead of growing the daemon.
   With ``exit_after_eof`` (the ``serve`` command sets ``EOF_EXIT_GRACE``),
   EOF also arms a last resort: if the process still runs that many seconds
   later (the orderly stop is stuck behind work that does not yield), the
   pump kills the process groups of the daemon's children (shell commands
   run in their own sessions) and ends the process with ``os._exit(0)``.
   The store is crash-safe (SQLite WAL), so nothing shown is lost.
3. ``Dispatcher`` decodes each frame with the protocol's ``structure_message``
   hook and hands it to ``protocol.handle_message``. A frame that is not
   JSON is logged; only the first one per connection also shows a popup. A
   request whose params do not fit its LSP type gets an InvalidParams error
   response instead of a popup (when its id is a number or a string; one
   that is not is only logged), and JSON nested too deep to decode counts
   as not JSON. ``exit`` (pygls raises ``SystemExit``) and
   EOF call ``on_stop``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
MAX_HEADER = 64 * 1024
MAX_AHEAD = 8 * 1024 * 1024  # bytes read but not yet handled before the reader stops reading
EOF_EXIT_GRACE = 0.5  # seconds the orderly stop gets after stdin closes (the target is exit within 1 s)
_LENGTH = re.compile(rb"content-length[ \t]*:([^\r\n]*)", re.IGNORECASE)
_NEXT_HEADER = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r\n", re.IGNORECASE)
_CARRY = 64  # bytes of skipped data kept to find a header cut across two reads


def _header_at(data: bytes | bytearray, start: int, end: int) -> int:
    """Where a ``Content-Length: <digits>\\r\\n`` line begins in ``data[start:end]``, or -1."""
    if data.find(b"\r", start, end) < 0:  # the common case, at memchr speed
        return -1
    found = _NEXT_HEADER.search(data, start, end)
    return -1 if found is None else found.start()


def _ends_like_json(data: bytearray, end: int) -> bool:
    """A JSON-RPC body ends with ``}`` or ``]`` (then maybe whitespace); such a frame is never held back."""
    return bytes(data[max(0, end - _CARRY) : end]).rstrip()[-1:] in (b"}", b"]")


@dataclass(frozen=True, slots=True)
class Frame:
    body: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    reason: str


def _cost(item: object) -> int:
    """What an item waiting for the loop holds: its body (if a frame) and about a kilobyte of objects."""
    return 1024 + (len(item.body) if isinstance(item, Frame) else 0)


class _Eof:
    def __repr__(self) -> str:
        return "EOF"


EOF = _Eof()
Item = Frame | BadFrame | _Eof


class FrameParser:
    def __init__(self, max_body: int = MAX_BODY, max_header: int = MAX_HEADER) -> None:
        self.max_body = max_body
        self.max_header = max_header
        self._buf = bytearray()
        self._need = -1  # body bytes still expected; -1 while reading headers
        self._skip = 0  # body bytes still to discard
        self._carry = b""  # the tail of the bytes last skipped
        self._scanned = 0  # body bytes already searched for a header

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        out: list[Frame | BadFrame] = []
        if self._skip:
            data = self._skip_through(data, out)
        self._buf += data
        while True:
            if self._need >= 0:
                if self._overrun(out):
                    continue
                if len(self._buf) < self._need or (
                    len(self._buf) < self._need + _CARRY and not _ends_like_json(self._buf, self._need)
                ):  # wait for the body, or for a header that may have started inside it
                    return out
                out.append(Frame(bytes(self._buf[: self._need])))
                del self._buf[: self._need]
                self._need, self._scanned = -1, 0
                continue
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > self.max_header:
                    out.append(BadFrame(f"no header terminator in {len(self._buf)} bytes; dropped"))
                    self._buf.clear()
                return out
            header = bytes(self._buf[:end])
            del self._buf[: end + 4]
            self._header(header, out)
            if self._skip:
                self._buf = bytearray(self._skip_through(bytes(self._buf), out))

    def _header(self, header: bytes, out: list[Frame | BadFrame]) -> None:
        length: int | None = None
        found = _LENGTH.findall(header)
        if found:
            try:
                length = int(found[-1].strip())
            except ValueError:
                length = None
        if length is None or length < 0:
            shown = header[:80].decode("utf-8", "replace")
            out.append(BadFrame(f"header without a valid Content-Length: {shown!r}"))
        elif length > self.max_body:
            out.append(BadFrame(
                f"Content-Length {length} exceeds the {self.max_body} byte limit; message skipped"
            ))
            self._skip, self._carry = length, b""
        else:
            self._need = length

    def _overrun(self, out: list[Frame | BadFrame]) -> bool:
        """A header inside the body being read: drop the body up to it and read from there."""
        end = min(len(self._buf), self._need + _CARRY)  # a header may start in the body, end after
        at = _header_at(self._buf, max(0, self._scanned - _CARRY), end)
        self._scanned = min(len(self._buf), self._need)
        if not 0 <= at < self._need:
            return False
        out.append(BadFrame(
            f"Content-Length {self._need} runs into the next message header "
            f"after {at} bytes; those bytes were dropped"
        ))
        del self._buf[:at]
        self._need, self._scanned = -1, 0
        return True

    def _skip_through(self, data: bytes, out: list[Frame | BadFrame]) -> bytes:
        """Discard skipped body bytes from ``data``; what follows the skipped body is returned."""
        dropped = min(self._skip, len(data))
        window = self._carry + data[: dropped + _CARRY]
        at = _header_at(window, 0, len(window))
        if 0 <= at < len(self._carry) + dropped:
            out.append(BadFrame("the skipped message ended early at the next message header"))
            self._skip, self._carry = 0, b""
            return window[at:] + data[dropped + _CARRY :]
        self._skip -= dropped
        self._carry = (self._carry + data[:dropped])[-_CARRY:] if self._skip else b""
        return data[dropped:]


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
        """Step 2's last resort: still here ``grace`` seconds after EOF -> kill the children and exit."""
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


class Dispatcher:
    """Decodes frames and hands them to a pygls protocol, guarding every step."""

    def __init__(
        self,
        protocol: Any,
        on_stop: Callable[[int], None],
        popup: Callable[[str], None],
    ) -> None:
        self.protocol = protocol
        self._on_stop = on_stop
        self._popup = popup
        self._popped = False

    def __call__(self, item: Item) -> None:
        if isinstance(item, _Eof):
            self._on_stop(0)
        elif isinstance(item, BadFrame):
            self._bad(item.reason)
        else:
            self._frame(item.body)

    def _bad(self, reason: str) -> None:
        log.error("malformed LSP frame: %s", reason)
        if not self._popped:
            self._popped = True
            self._popup(f"Silcrow received a malformed message ({reason}); see the log.")

    def _frame(self, body: bytes) -> None:
        from pygls.exceptions import JsonRpcException

        try:
            message = json.loads(body, object_hook=self.protocol.structure_message)
        except JsonRpcException as exc:
            self._invalid(body, exc)
            return
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting
            self._bad(f"not JSON: {exc}")
            return
        if not hasattr(message, "jsonrpc"):
            self._bad("not a JSON-RPC message")
            return
        try:
            self.protocol.handle_message(message)
        except SystemExit as exc:
            self._on_stop(exc.code if isinstance(exc.code, int) else 0)
        except Exception:
            log.exception("handling a message failed")

    def _invalid(self, body: bytes, exc: Exception) -> None:
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError) as bad:  # the hook failed before the JSON did
            self._bad(f"not JSON: {bad}")
            return
        log.error("message does not fit its LSP type: %s", exc)
        msg_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(msg_id, int | str) and not isinstance(msg_id, bool) and "method" in raw:
            from pygls.exceptions import JsonRpcInvalidParams

            error = exc if isinstance(exc, JsonRpcInvalidParams) and exc.message != exc.MESSAGE else (
                JsonRpcInvalidParams(
                    f"params of {raw['method']} do not fit the LSP type; check the field names and types"
                )
            )
            self.protocol._send_response(msg_id, error=error.to_response_error())
        else:
            self._bad(f"params of {raw.get('method') if isinstance(raw, dict) else '?'} do not fit")
