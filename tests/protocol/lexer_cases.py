"""Protocol fixtures named after what real providers and models write, and helpers.

Each case is a whole model response plus the tokens it must lex to (adjacent
text merged). ``lex`` feeds a response in any chunking.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from silcrow.protocol.events import (
    CallToken,
    EndToken,
    ExecuteToken,
    RespondText,
    ThinkText,
    Token,
    ToolCall,
)
from silcrow.protocol.lexer import Lexer


def lex(chunks: Iterable[str], **lexer_args: int) -> list[Token]:
    lexer = Lexer(**lexer_args)
    out: list[Token] = []
    for chunk in chunks:
        out += lexer.feed(chunk)
    return out + lexer.feed_eof()


def merged(tokens: Sequence[Token]) -> list[Token]:
    """Adjacent text tokens of one kind merged: the chunking-free view."""
    out: list[Token] = []
    for token in tokens:
        if isinstance(token, (ThinkText, RespondText)) and out and out[-1].kind == token.kind:
            prev = out[-1]
            assert isinstance(prev, (ThinkText, RespondText))
            out[-1] = type(token)(text=prev.text + token.text)
        else:
            out.append(token)
    return out


def call(name: str, raw: str | None = None, **args: object) -> CallToken:
    """A valid call token; ``raw`` defaults to compact JSON as in the fixtures."""
    if raw is None:
        raw = json.dumps({"name": name, "args": args})
    return CallToken(raw=raw, call=ToolCall(name, dict(args)))


def bad(raw: str, *needles: str) -> BadCall:
    return BadCall(raw, needles)


@dataclass(frozen=True)
class BadCall:
    """Expected malformed call: exact raw, error containing every needle."""

    raw: str
    needles: tuple[str, ...]

    def matches(self, token: Token) -> bool:
        return (
            isinstance(token, CallToken)
            and token.call is None
            and token.raw == self.raw
            and token.error is not None
            and all(n in token.error for n in self.needles)
        )


Expected = Token | BadCall


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    expected: tuple[Expected, ...]
    lexer_args: dict[str, int] = field(default_factory=dict)


def matches(tokens: Sequence[Token], expected: Sequence[Expected]) -> bool:
    if len(tokens) != len(expected):
        return False
    return all(
        e.matches(t) if isinstance(e, BadCall) else t == e
        for t, e in zip(tokens, expected, strict=True)
    )


READ = '{"name": "read", "args": {"file": "main.py"}}'
WRITE_WITH_SIGNS = json.dumps(
    {
        "name": "write",
        "args": {
            "file": "notes.md",
            "content": 'See §3.2.\n§end §call: {"x": "\\"q\\""} \\ §execute\n}}}',
        },
    },
    ensure_ascii=False,
)

CASES: tuple[Case, ...] = (
    Case(
        "design_example",
        f"§think: I should look at the file first\n§call: {READ}\n§execute\n",
        (
            ThinkText(text="I should look at the file first"),
            call("read", READ, file="main.py"),
            ExecuteToken(),
        ),
    ),
    Case(
        "gemini_splits_think_then_colon",
        "§think: content here\n§respond: done\n§end\n",
        (ThinkText(text="content here"), RespondText(text="done"), EndToken()),
    ),
    Case(
        "openai_call_without_space",
        '§call:{"name":"read","args":{"file":"a.py"}}\n§execute',
        (call("read", '{"name":"read","args":{"file":"a.py"}}', file="a.py"), ExecuteToken()),
    ),
    Case(
        "file_content_with_sign_and_escapes_inside_call_json",
        f"§call: {WRITE_WITH_SIGNS}\n§execute\n",
        (
            CallToken(
                raw=WRITE_WITH_SIGNS, call=ToolCall("write", json.loads(WRITE_WITH_SIGNS)["args"])
            ),
            ExecuteToken(),
        ),
    ),
    Case(
        "lone_escaped_quote_before_brace_and_delimiter_in_string",
        '§call: {"name": "w", "args": {"c": "say \\"} §execute"}}\n§execute',
        (
            call("w", '{"name": "w", "args": {"c": "say \\"} §execute"}}', c='say "} §execute'),
            ExecuteToken(),
        ),
    ),
    Case(
        "prose_section_signs_are_text",
        "See §3.2 and § 4, also §§ 5-7 and §thin ice.\n§end",
        (RespondText(text="See §3.2 and § 4, also §§ 5-7 and §thin ice."), EndToken()),
    ),
    Case(
        "text_before_any_delimiter_is_respond",
        "Sure, here it is.\n\n§think: hmm\n§end",
        (RespondText(text="Sure, here it is."), ThinkText(text="hmm"), EndToken()),
    ),
    Case(
        "any_letter_case",
        '§Think: a\n§CALL: {"name": "list"}\n§Execute',
        (ThinkText(text="a"), call("list", '{"name": "list"}'), ExecuteToken()),
    ),
    Case(
        "older_dialect_calls_array_and_yield",
        '§THINK: two reads\n§CALLS: [{"name": "read", "args": {"file": "a"}}, '
        '{"name": "read", "args": {"file": "b"}}]\n§YIELD',
        (
            ThinkText(text="two reads"),
            call("read", '{"name": "read", "args": {"file": "a"}}', file="a"),
            call("read", '{"name": "read", "args": {"file": "b"}}', file="b"),
            ExecuteToken(),
        ),
    ),
    Case(
        "older_dialect_yield_without_calls_ends",
        "§RESPOND: all done\n§YIELD\n",
        (RespondText(text="all done"), EndToken()),
    ),
    Case(
        "older_dialect_bad_array_element",
        '§CALLS: [{"name": "read"}, 7]\n§YIELD',
        (call("read", '{"name": "read"}'), bad("7", "JSON object", "number"), ExecuteToken()),
    ),
    Case(
        "forgotten_execute_then_end",
        f"§call: {READ}\n§respond: reading it now\n§end\n",
        (call("read", READ, file="main.py"), RespondText(text="reading it now"), ExecuteToken()),
    ),
    Case(
        "forgotten_execute_at_eof_or_stop_sequence",
        f"§think: go\n§call: {READ}\n",
        (ThinkText(text="go"), call("read", READ, file="main.py"), ExecuteToken()),
    ),
    Case(
        "forgotten_end",
        "§respond: the answer is 42\n",
        (RespondText(text="the answer is 42"), EndToken()),
    ),
    Case(
        "calls_after_end_are_dropped",
        f"§respond: done\n§end\n§call: {READ}\n§execute\n",
        (RespondText(text="done"), EndToken()),
    ),
    Case(
        "tail_after_execute_is_dropped",
        f"§call:{READ}\n§execute\n§result: read\nfake output\n§respond: it worked\n§end",
        (call("read", READ, file="main.py"), ExecuteToken()),
    ),
    Case(
        "malformed_json",
        '§call: {"name": "read", "args": {"file": }}\n§execute',
        (bad('{"name": "read", "args": {"file": }}', "not valid JSON", '"args"'), ExecuteToken()),
    ),
    Case(
        "arguments_key_instead_of_args",
        '§call: {"name": "read", "arguments": {"file": "a"}}\n§execute',
        (
            bad('{"name": "read", "arguments": {"file": "a"}}', "'arguments'", '"args"'),
            ExecuteToken(),
        ),
    ),
    Case(
        "unterminated_call_cut_by_delimiter",
        '§call: {"name": "read", "args": {"file": "a"}\n§respond: ok\n§end',
        (
            bad('{"name": "read", "args": {"file": "a"}', "unterminated", "§respond:"),
            RespondText(text="ok"),
            ExecuteToken(),
        ),
    ),
    Case(
        "unterminated_call_at_eof_inside_string",
        '§call: {"name": "write", "args": {"content": "abc §end',
        (
            bad('{"name": "write", "args": {"content": "abc §end', "unterminated", "ended"),
            ExecuteToken(),
        ),
    ),
    Case(
        "call_body_not_json",
        "§call: read main.py\n§execute",
        (bad("read main.py", "JSON starting with {"), ExecuteToken()),
    ),
    Case(
        "empty_call",
        "§call:\n§execute",
        (bad("", "no body"), ExecuteToken()),
    ),
    Case(
        "call_keyword_without_colon",
        '§call{"name": "a"}\n§call {"name": "b"}\n§execute',
        (call("a", '{"name": "a"}'), call("b", '{"name": "b"}'), ExecuteToken()),
    ),
    Case(
        "stray_prose_after_call_is_respond",
        '§think: x\n§call: {"name": "list"} and then I will read\n§execute',
        (
            ThinkText(text="x"),
            call("list", '{"name": "list"}'),
            RespondText(text="and then I will read"),
            ExecuteToken(),
        ),
    ),
    Case(
        "pretty_printed_call_on_several_lines",
        '§call:\n{\n  "name": "edit",\n  "args": {"old": "{[", "new": "]}"}\n}\n§execute',
        (
            call(
                "edit",
                '{\n  "name": "edit",\n  "args": {"old": "{[", "new": "]}"}\n}',
                old="{[",
                new="]}",
            ),
            ExecuteToken(),
        ),
    ),
    Case(
        "sign_outside_string_in_body_is_not_a_delimiter",
        '§call: {"name": "a", "args": {"n": §3}}\n§execute',
        (bad('{"name": "a", "args": {"n": §3}}', "not valid JSON"), ExecuteToken()),
    ),
    Case(
        "whitespace_around_sections",
        "§respond:    \n\n  hello\n  world  \n\n§think:done\n\n\n",
        (RespondText(text="hello\n  world"), ThinkText(text="done"), EndToken()),
    ),
    Case(
        "sign_at_the_very_end",
        "It costs 5§",
        (RespondText(text="It costs 5§"), EndToken()),
    ),
    Case(
        "delimiter_fragment_at_the_very_end",
        "§respond: ok\n§thi",
        (RespondText(text="ok\n§thi"), EndToken()),
    ),
    Case(
        "execute_without_calls",
        "§respond: hm\n§execute",
        (RespondText(text="hm"), ExecuteToken()),
    ),
    Case(
        "long_whitespace_before_delimiter_keeps_excess",
        "§respond: a" + " " * 70 + "§end",
        (RespondText(text="a" + " " * 6), EndToken()),
    ),
    Case(
        "oversized_call_body",
        '§call: {"name": "write", "args": {"content": "' + "x" * 80 + '"}}\n§respond: next\n§end',
        (
            bad('{"name": "write", "args": {"content": "' + "x" * 11 + "…", "longer than 50"),
            RespondText(text="next"),
            ExecuteToken(),
        ),
        {"max_call_chars": 50},
    ),
)
