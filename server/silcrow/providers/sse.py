"""Sans-I/O Server-Sent Events: bytes in, ``ServerSentEvent`` values out.

Algorithm:
1. ``SSEParser.feed(data)`` decodes UTF-8 incrementally (a character split
   across reads is kept for the next read), splits lines on CR, LF or CRLF
   and interprets fields with httpx-sse's decoders, returning every event
   completed by a blank line.
2. A partial line longer than ``max_line`` raises ``ProviderError`` (every
   read has a limit: a server that never ends a line cannot fill memory).
3. ``feed_eof()`` flushes the last line and dispatches a pending event even
   without its closing blank line (some servers omit it before closing).
4. Events with no data are dropped (the spec does not dispatch them; they
   carry nothing a decoder needs). An unnamed event is named "message".
The parser knows nothing of any vendor's JSON; decoders do that.
"""

from __future__ import annotations

import codecs

from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from silcrow.providers.base import ProviderError

__all__ = ["SSEParser", "ServerSentEvent", "parse_sse"]

DEFAULT_MAX_LINE = 4 * 1024 * 1024


class SSEParser:
    def __init__(self, *, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._lines = SSELineDecoder()
        self._events = SSEDecoder()
        self._max_line = max_line

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        try:
            text = self._text.decode(data)
        except UnicodeDecodeError as err:
            raise ProviderError(f"the event stream is not valid UTF-8 ({err})") from err
        if not text:
            return []
        events = self._dispatch(self._lines.decode(text))
        if sum(len(part) for part in self._lines.buffer) > self._max_line:
            raise ProviderError(
                f"an event-stream line exceeds {self._max_line} characters; the server is "
                "not sending a valid stream"
            )
        return events

    def feed_eof(self) -> list[ServerSentEvent]:
        try:
            tail = self._text.decode(b"", final=True)
        except UnicodeDecodeError as err:
            raise ProviderError(f"the event stream ends inside a UTF-8 character ({err})") from err
        lines = self._lines.decode(tail) if tail else []
        return self._dispatch([*lines, *self._lines.flush(), ""])

    def _dispatch(self, lines: list[str]) -> list[ServerSentEvent]:
        events = []
        for line in lines:
            event = self._events.decode(line)
            if event is not None and event.data:
                events.append(event)
        return events


def parse_sse(data: bytes) -> list[ServerSentEvent]:
    """Parse a whole stream at once (tests and fixtures)."""
    parser = SSEParser()
    return [*parser.feed(data), *parser.feed_eof()]
