"""The LSP frame parser (sans-I/O): bytes in, ``Frame`` bodies and ``BadFrame`` reports out.

pygls 2.1.1's own reader (``pygls.io_.run_async``) reads whatever
``Content-Length`` says in one call (a huge value dies with MemoryError);
this parser, driven by ``silcrow.lsp.stdin`` and ``silcrow.lsp.tcpgate``,
replaces that part of it. It owns the items a reader hands on: ``Frame``,
``BadFrame`` and ``EOF``.

Algorithm:
1. ``FrameParser.feed(data)`` splits bytes into ``Frame`` bodies and
   ``BadFrame`` reports. Headers are limited to 64 KiB; a missing or
   malformed ``Content-Length`` skips that header block; a length above
   ``max_body`` (64 MiB) is reported and its body discarded as it streams
   past, never buffered, so the stream stays in step.
2. Resynchronising after a lying header: the last ``Content-Length`` in a
   header block counts even when junk (the body of a refused frame) is
   glued before it on its line; and a ``Content-Length: <digits>\\r\\n``
   inside a body being read or skipped ends that body early (reported, not
   dispatched). A JSON body cannot contain that text (a raw CR is invalid
   inside a string, the letters outside one), so valid frames are never
   cut; a body that does not end like JSON (``}`` or ``]``) is held until
   the next 64 bytes show whether a header began inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BODY = 64 * 1024 * 1024
MAX_HEADER = 64 * 1024
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
    """One message body, exactly ``Content-Length`` bytes (not yet decoded)."""

    body: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that was refused or cut; ``reason`` says why, for the log."""

    reason: str


class Eof:
    """The input ended (the one instance is ``EOF``)."""

    def __repr__(self) -> str:
        return "EOF"


EOF = Eof()
Item = Frame | BadFrame | Eof  # what a reader hands to the dispatcher


class FrameParser:
    """Splits a byte stream into frames; see the module's Algorithm."""

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
                    len(self._buf) < self._need + _CARRY
                    and not _ends_like_json(self._buf, self._need)
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
            out.append(
                BadFrame(
                    f"Content-Length {length} exceeds the {self.max_body} byte limit; message skipped"
                )
            )
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
        out.append(
            BadFrame(
                f"Content-Length {self._need} runs into the next message header "
                f"after {at} bytes; those bytes were dropped"
            )
        )
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
