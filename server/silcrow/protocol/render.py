"""The renderer: tokens -> § delimiter text again, and the protocol's prompt. Pure.

Stored events carry no delimiters; context assembly calls ``render_section``
to write a model's earlier replies back in the protocol it reads.

Algorithm:
1. ``render_section(kind, text)`` writes one section on its own line:
   ``§think: text``, ``§respond: text``, ``§call: {json}``, ``§execute``,
   ``§end``, each followed by a newline; section text is stripped.
2. In think/respond text, a ``§`` that would begin a delimiter ("§end",
   "§call:") gets U+2060 WORD JOINER inserted after it, so the text cannot
   end its own section when lexed again. Text the lexer produced never holds
   such a sequence (the lexer would have split it there), so this only
   touches text from elsewhere; it is the one lossy normalisation.
3. ``render_tokens(tokens)`` merges adjacent text tokens of one kind (they
   are deltas of one section), writes a valid call in its canonical spelling
   (``calls.encode_call``) and a malformed one as the model wrote it.
   For lexer-produced tokens, ``Lexer`` over the result gives the same
   tokens again after ``normalise`` (see ``docs/wire-protocol.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from silcrow.protocol.calls import encode_call
from silcrow.protocol.events import (
    CallToken,
    EndToken,
    ExecuteToken,
    RespondText,
    ThinkText,
    Token,
)
from silcrow.protocol.lexer import DELIMITER

WORD_JOINER = "\u2060"
SECTION_KINDS = ("think", "respond", "call", "execute", "end")

PROTOCOL_INSTRUCTIONS = """\
Write every reply in the § protocol. Each section starts on its own line with a delimiter:
§think: your reasoning (the user sees it, dimmed)
§call: one tool call as one JSON object: {"name": "<tool>", "args": {...}}
§execute  (after your calls: stop writing; the tools run)
§respond: what you tell the user
§end  (the turn is over; write nothing after it)
Write as many §call: lines as you need, then §execute and stop. The results come \
back in the next user message, which starts with §result:. Never write §result: \
yourself. A § inside a JSON string of a call is just a character. Finish every \
turn with §respond: and §end.

Example:
§think: I should look at the file first.
§call: {"name": "read", "args": {"file": "main.py"}}
§execute
(next message: §result: read ...the file's text...)
§respond: The bug is on line 15; I fixed it.
§end"""


def neutralise(text: str) -> str:
    """Break every delimiter inside ``text`` with a word joiner after its ``§``."""
    if "§" not in text:
        return text
    return DELIMITER.sub(lambda m: "§" + WORD_JOINER + m.group()[1:], text)


def render_section(kind: str, text: str = "") -> str:
    """One section as the model writes it, ending in a newline."""
    if kind in ("think", "respond"):
        return f"§{kind}: {neutralise(text.strip())}\n"
    if kind == "call":
        return f"§call: {text}\n"
    if kind in ("execute", "end"):
        return f"§{kind}\n"
    raise ValueError(f"unknown section kind {kind!r}; use one of {', '.join(SECTION_KINDS)}")


def _call_text(token: CallToken) -> str:
    return encode_call(token.call) if token.call is not None else token.raw


def _sections(tokens: Iterable[Token]) -> Iterator[Token]:
    """Tokens with each run of adjacent same-kind text merged into one token."""
    pending: ThinkText | RespondText | None = None
    parts: list[str] = []
    for token in tokens:
        if isinstance(token, (ThinkText, RespondText)) and (
            pending is None or token.kind == pending.kind
        ):
            pending = pending or token
            parts.append(token.text)
            continue
        if pending is not None:
            yield type(pending)(text="".join(parts))
            pending, parts = None, []
        if isinstance(token, (ThinkText, RespondText)):
            pending, parts = token, [token.text]
        else:
            yield token
    if pending is not None:
        yield type(pending)(text="".join(parts))


def render_tokens(tokens: Iterable[Token]) -> str:
    """The delimiter text of a token sequence; adjacent text of one kind is one section."""
    out = []
    for token in _sections(tokens):
        if isinstance(token, (ThinkText, RespondText)):
            out.append(render_section(token.kind, token.text))
        elif isinstance(token, CallToken):
            out.append(render_section("call", _call_text(token)))
        else:
            out.append(render_section(token.kind))
    return "".join(out)


def normalise_tokens(tokens: Iterable[Token]) -> list[Token]:
    """What lexing ``render_tokens(tokens)`` gives back, adjacent text merged.

    Section text is stripped and neutralised, empty sections vanish, a valid
    call's ``raw`` is its canonical spelling, everything after the first
    terminal token is dropped, and the terminal is what the lexer decides
    (``§end`` with calls pending is an execute; a missing one is added).
    """
    out: list[Token] = []
    calls = 0
    for token in _sections(tokens):
        if isinstance(token, (ThinkText, RespondText)):
            text = neutralise(token.text.strip())
            if text and out and out[-1].kind == token.kind:
                out[-1] = type(token)(text=out[-1].text + text)
            elif text:
                out.append(type(token)(text=text))
        elif isinstance(token, CallToken):
            calls += 1
            out.append(CallToken(raw=_call_text(token).strip(), call=token.call, error=token.error))
        else:
            out.append(ExecuteToken() if token.kind == "execute" or calls else EndToken())
            return out
    out.append(ExecuteToken() if calls else EndToken())
    return out
