"""The § lexer: model text in any chunking -> typed tokens. Sans-I/O, pure.

``Lexer().feed(text) -> list[Token]`` and ``.feed_eof() -> list[Token]``.
The tokens of a response do not depend on how its text was cut into chunks
(only on how text tokens are grouped: adjacent text of one kind is coalesced
within one ``feed`` call). The full rules are in ``docs/wire-protocol.md``.

Delimiters (ASCII letters in any case): ``§think:``, ``§respond:``,
``§call:`` (also ``§call{`` and ``§call {``), ``§execute``, ``§end``, and the
older dialect's ``§calls:`` (a JSON array of calls) and ``§yield``. A ``§``
that does not begin one of them ("see §3.2", "§ 4") is text.

Algorithm:
1. Each ``feed`` prepends the held-back tail of the previous one (at most
   ``HOLDBACK`` characters: a ``§`` that might still become a delimiter) and
   runs the state machine once over the new text; nothing is re-scanned.
   Two common chunks skip the machine with the same result: a call-body
   chunk with no ``}``, ``]`` or ``§`` (it can neither close the body nor
   start a delimiter, so it is kept unscanned and scanned, once, in front of
   the next chunk that can) and prose with no ``§`` past the start of its
   section.
2. Text state: ``str.find("§")`` jumps between candidates; at each ``§`` a
   regex either matches a delimiter, or the tail is a prefix of one (hold it
   back until more text comes), or the ``§`` is text. Plain runs go out as
   think/respond text. Leading whitespace of a section is dropped; trailing
   whitespace is held (at most ``WHITESPACE_CAP`` characters, the excess is
   text) and dropped if a delimiter or the end of the response follows.
   Text before any delimiter, and text after a call (stray prose), is
   respond text.
3. Call body (after ``§call:``/``§calls:``): whitespace is skipped; a body
   starting with ``{`` (``[`` for ``§calls:``) is scanned with regexes that
   jump to the next quote/bracket/``§`` outside strings and over a string's
   whole run of text and escapes inside them, tracking string, escape and
   bracket depth; it
   ends when the depth returns to 0 and is parsed by ``calls.parse_call``. A
   ``§`` inside a JSON string is content; a delimiter outside a string before
   the body closes ends it as malformed. A body that does not start with the
   opener runs to the end of its line and is malformed. A body longer than
   ``max_call_chars`` gives an error token at once; the rest of it is scanned
   but not kept.
4. Terminals: ``§execute`` -> ExecuteToken. ``§end``/``§yield`` ->
   ExecuteToken if calls are pending (a forgotten ``§execute``: the tools
   run and the model gets another cycle), else EndToken. ``feed_eof`` does
   the same for a response that just stops (forgotten ``§execute``/``§end``,
   or a provider's stop sequence at ``§execute``). After a terminal token the
   lexer is done: everything after it is dropped unread (calls after
   ``§end`` are never run, a tail written past ``§execute`` is discarded).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from silcrow.protocol.calls import malformed, parse_call, parse_calls_array
from silcrow.protocol.events import (
    CallToken,
    EndToken,
    ExecuteToken,
    RespondText,
    ThinkText,
    Token,
)

SIGN = "§"
# What each delimiter opens. The call body of "§call{" starts at its brace.
_DELIMITERS: dict[str, str] = {
    "§think:": "think",
    "§respond:": "respond",
    "§call:": "call",
    "§call{": "call",
    "§call {": "call",
    "§calls:": "calls",
    "§execute": "execute",
    "§end": "end",
    "§yield": "end",
}
DELIMITER = re.compile(
    "|".join(re.escape(d) for d in sorted(_DELIMITERS, key=len, reverse=True)),
    re.IGNORECASE | re.ASCII,
)
# Proper prefixes of delimiters: a tail like "§thi" waits for more text.
_PREFIXES = frozenset(d[:k] for d in _DELIMITERS for k in range(1, len(d)))
HOLDBACK = max(map(len, _PREFIXES))
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

WHITESPACE_CAP = 64
DEFAULT_MAX_CALL_CHARS = 8 * 1024 * 1024
RAW_PREVIEW = 200  # characters of an oversized body kept in its error token

_OUTSIDE = re.compile(r'[{}\[\]"§]')
# Inside a JSON string: everything up to its closing quote, escapes included
# (a backslash ending the buffer is left for the caller).
_STRING_RUN = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_LINE_END = re.compile(r"[\n§]")
_NON_SPACE = re.compile(r"\S")

_TEXT, _BODY_START, _JSON, _LINE, _DONE = range(5)
_HOLD = -1  # _classify: the tail may still become a delimiter


class Lexer:
    """Incremental § lexer for one model response. Never raises on any text."""

    def __init__(self, *, max_call_chars: int = DEFAULT_MAX_CALL_CHARS) -> None:
        if max_call_chars < 1:
            raise ValueError(f"max_call_chars must be a positive number, got {max_call_chars}")
        self.max_call_chars = max_call_chars
        self._state = _TEXT
        self._held = ""  # unread tail: a possible delimiter, at most HOLDBACK chars
        self._out: list[Token] = []
        # text state
        self._kind = "respond"
        self._at_start = True
        self._ws = ""  # trailing whitespace of the section, dropped before a delimiter
        self._parts: list[str] = []  # text of the current kind not yet emitted
        self._pending = 0  # calls since the response began (all before any terminal)
        # call body state
        self._body_kind = "call"
        self._body: list[str] = []
        self._body_len = 0
        self._oversized = False
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._lag: list[str] = []  # call-body chunks not scanned yet (no "}", "]" or "§")
        self._steps: dict[int, Callable[[str, int], int]] = {
            _TEXT: self._scan_text,
            _BODY_START: self._scan_body_start,
            _JSON: self._scan_json,
            _LINE: self._scan_line,
        }

    @property
    def done(self) -> bool:
        """True once a terminal token (ExecuteToken or EndToken) was emitted."""
        return self._state == _DONE

    @property
    def held(self) -> int:
        """Characters held back between feeds (bounded; a call body counts in full)."""
        return len(self._held) + len(self._ws) + self._body_len * (not self._oversized)

    # -- public API ----------------------------------------------------------
    def feed(self, text: str) -> list[Token]:
        """Lex the next piece of the response; returns the tokens it completes."""
        state = self._state
        # Fast paths for the common small chunk, with the same result as the
        # full scan: inside a JSON string that it does not close; prose with no "§"
        # past the start of its section.
        if state == _JSON:
            if "}" not in text and "]" not in text and SIGN not in text and not self._held:
                size = self._body_len + len(text)
                if size <= self.max_call_chars and not self._oversized:
                    self._lag.append(text)
                    self._body_len = size
                    return []
        elif state == _TEXT:
            if text and SIGN not in text and not self._at_start and not self._held:
                body = text.rstrip()
                if not body:
                    if len(self._ws) + len(text) <= WHITESPACE_CAP:
                        self._ws += text
                        return []
                elif len(text) - len(body) <= WHITESPACE_CAP:
                    body, self._ws = self._ws + body, text[len(body) :]
                    return [ThinkText(body) if self._kind == "think" else RespondText(body)]
        if state == _DONE or not text:
            return []
        buf = self._held + text if self._held else text
        self._held = ""
        if self._lag:
            buf = self._unlag() + buf
        i, n = 0, len(buf)
        while i < n and self._state != _DONE:
            i = self._steps[self._state](buf, i)
        return self._take()

    def feed_eof(self) -> list[Token]:
        """The response ended: flush what is held and emit the terminal token."""
        if self._state == _DONE:
            return []
        tail, self._held = self._held, ""
        if self._lag:  # it holds no "}", "]" or "§": it cannot close the body
            self._body_add(self._unlag())
        if self._state == _TEXT:
            self._text_run(tail)
        elif self._state == _BODY_START and not tail:
            self._emit_call(malformed("", f"§{self._body_kind}: has no body"))
        else:
            if self._state == _BODY_START:  # only a "§..." fragment came after it
                self._state = _LINE
            self._body_add(tail)
            self._close_body(complete=False, reason="the response ended before the JSON closed")
        self._terminal()
        return self._take()

    def _unlag(self) -> str:
        """The call-body text the fast path kept unscanned, taken back for scanning."""
        lag = "".join(self._lag)
        self._lag = []
        self._body_len -= len(lag)
        return lag

    # -- output --------------------------------------------------------------
    def _take(self) -> list[Token]:
        self._flush_text()
        out, self._out = self._out, []
        return out

    def _flush_text(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts = []
            self._out.append(ThinkText(text) if self._kind == "think" else RespondText(text))

    def _emit_call(self, token: CallToken) -> None:
        self._flush_text()
        self._out.append(token)
        self._pending += 1

    def _terminal(self, explicit_execute: bool = False) -> None:
        self._flush_text()
        self._ws = ""
        self._out.append(ExecuteToken() if explicit_execute or self._pending else EndToken())
        self._state = _DONE

    # -- delimiters ------------------------------------------------------------
    @staticmethod
    def _classify(buf: str, k: int) -> re.Match[str] | int | None:
        """At a ``§``: a delimiter match, ``_HOLD`` (could become one), or None (text)."""
        m = DELIMITER.match(buf, k)
        if m is not None:
            return m
        if len(buf) - k < HOLDBACK + 1 and buf[k:].translate(_LOWER) in _PREFIXES:
            return _HOLD
        return None

    def _open(self, m: re.Match[str]) -> int:
        """Act on a delimiter; returns where reading goes on."""
        what = _DELIMITERS[m.group().translate(_LOWER)]
        self._ws = ""
        if what in ("think", "respond"):
            if what != self._kind:
                self._flush_text()
                self._kind = what
            self._at_start = True
            return m.end()
        if what in ("call", "calls"):
            self._flush_text()
            self._body_kind = what
            self._state = _BODY_START
            return m.end() - 1 if m.group().endswith("{") else m.end()
        self._terminal(explicit_execute=what == "execute")
        return m.end()

    # -- text ------------------------------------------------------------------
    def _scan_text(self, buf: str, i: int) -> int:
        start, n = i, len(buf)
        while True:
            k = buf.find(SIGN, i)
            if k < 0:
                self._text_run(buf[start:] if start else buf)
                return n
            found = self._classify(buf, k)
            if found is None:
                i = k + 1
                continue
            self._text_run(buf[start:k])
            if found == _HOLD:
                self._held = buf[k:]
                return n
            assert isinstance(found, re.Match)
            return self._open(found)

    def _text_run(self, s: str) -> None:
        if not s:
            return
        if self._at_start:
            s = s.lstrip()
            if not s:
                return
            self._at_start = False
        body = s.rstrip()
        if body:
            if self._ws:
                self._parts.append(self._ws)
            self._parts.append(body)
            self._ws = s[len(body) :]
        else:
            self._ws += s
        if len(self._ws) > WHITESPACE_CAP:
            self._parts.append(self._ws[:-WHITESPACE_CAP])
            self._ws = self._ws[-WHITESPACE_CAP:]

    # -- call bodies -------------------------------------------------------------
    def _scan_body_start(self, buf: str, i: int) -> int:
        m = _NON_SPACE.search(buf, i)
        if m is None:
            return len(buf)
        k = m.start()
        self._depth, self._in_string, self._escape = 0, False, False
        self._body, self._body_len, self._oversized = [], 0, False
        if buf[k] == SIGN:
            found = self._classify(buf, k)
            if found == _HOLD:
                self._held = buf[k:]
                return len(buf)
            if isinstance(found, re.Match):
                self._state = _TEXT
                self._emit_call(malformed("", f"§{self._body_kind}: has no body"))
                self._after_call()
                return self._open(found)
        opener = "[" if self._body_kind == "calls" else "{"
        self._state = _JSON if buf[k] == opener else _LINE
        return k

    def _scan_json(self, buf: str, i: int) -> int:
        start, n = i, len(buf)
        while i < n:
            if self._in_string:
                if self._escape:
                    self._escape = False
                    i += 1
                    continue
                i = _STRING_RUN.match(buf, i).end()  # type: ignore[union-attr]  # always matches
                if i < n:  # a closing quote, or a backslash ending the buffer
                    if buf[i] == '"':
                        self._in_string = False
                    else:
                        self._escape = True
                    i += 1
                continue
            m = _OUTSIDE.search(buf, i)
            if m is None:
                break
            c, i = m.group(), m.end()
            if c == '"':
                self._in_string = True
            elif c in "{[":
                self._depth += 1
            elif c in "}]":
                self._depth -= 1
                if self._depth <= 0:
                    self._body_add(buf[start:i])
                    self._close_body(complete=True)
                    return i
            else:
                stop = self._body_sign(buf, start, m.start())
                if stop is not None:
                    return stop
        self._body_add(buf[start:])
        return n

    def _scan_line(self, buf: str, i: int) -> int:
        start, n = i, len(buf)
        while i < n:
            m = _LINE_END.search(buf, i)
            if m is None:
                break
            if m.group() == "\n":
                self._body_add(buf[start : m.start()])
                self._close_body(complete=True)
                return m.start()
            stop = self._body_sign(buf, start, m.start())
            if stop is not None:
                return stop
            i = m.end()
        self._body_add(buf[start:])
        return n

    def _body_sign(self, buf: str, start: int, k: int) -> int | None:
        """A ``§`` outside a string at ``k``: where reading goes on, or None if it is content."""
        found = self._classify(buf, k)
        if found is None:
            return None
        self._body_add(buf[start:k])
        if found == _HOLD:
            self._held = buf[k:]
            return len(buf)
        assert isinstance(found, re.Match)
        self._close_body(complete=False, reason=f"{found.group()} came before the JSON closed")
        return self._open(found)

    def _body_add(self, s: str) -> None:
        self._body_len += len(s)
        if self._oversized:
            return
        self._body.append(s)
        if self._body_len > self.max_call_chars:
            preview = "".join(self._body)[: min(RAW_PREVIEW, self.max_call_chars)]
            self._body = []
            self._oversized = True
            self._emit_call(
                malformed(
                    preview + "…",
                    f"the call body is longer than {self.max_call_chars} characters and was "
                    "dropped; write large content in smaller pieces",
                )
            )

    def _close_body(self, *, complete: bool, reason: str = "") -> None:
        if not self._oversized:
            raw = "".join(self._body).strip()
            if self._state == _LINE:
                opener = "[" if self._body_kind == "calls" else "{"
                problem = f"§{self._body_kind}: must be followed by JSON starting with {opener}"
                self._emit_call(malformed(raw, problem))
            elif not complete:
                self._emit_call(malformed(raw, f"unterminated call: {reason}"))
            elif self._body_kind == "calls":
                for token in parse_calls_array(raw):
                    self._emit_call(token)
            else:
                self._emit_call(parse_call(raw))
        self._after_call()

    def _after_call(self) -> None:
        self._body, self._body_len, self._oversized = [], 0, False
        self._state = _TEXT
        self._kind = "respond"
        self._at_start = True
