"""The renderer: sections, token sequences, neutralised text, the prompt section."""

from __future__ import annotations

import pytest
from lexer_cases import lex, merged

from silcrow.protocol.events import (
    CallToken,
    EndToken,
    ExecuteToken,
    RespondText,
    ThinkText,
    Token,
    ToolCall,
)
from silcrow.protocol.render import (
    PROTOCOL_INSTRUCTIONS,
    WORD_JOINER,
    neutralise,
    normalise_tokens,
    render_section,
    render_tokens,
)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("think", "look first", "§think: look first\n"),
        ("respond", "  done\n", "§respond: done\n"),
        ("call", '{"name": "list", "args": {}}', '§call: {"name": "list", "args": {}}\n'),
        ("execute", "", "§execute\n"),
        ("end", "", "§end\n"),
    ],
)
def test_render_section(kind: str, text: str, expected: str) -> None:
    assert render_section(kind, text) == expected


def test_unknown_section_kind_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="think, respond, call, execute, end"):
        render_section("result", "x")


def test_render_tokens_merges_deltas_and_writes_canonical_calls() -> None:
    tokens: list[Token] = [
        ThinkText(text="look "),
        ThinkText(text="first"),
        CallToken(raw='{"name":"read","args":{"file":"a"}}', call=ToolCall("read", {"file": "a"})),
        CallToken(raw="read a", error="bad"),
        ExecuteToken(),
    ]
    assert render_tokens(tokens) == (
        "§think: look first\n"
        '§call: {"name": "read", "args": {"file": "a"}}\n'
        "§call: read a\n"
        "§execute\n"
    )


def test_neutralise_breaks_only_delimiters() -> None:
    assert neutralise("see §3.2, §end of §Think: it") == (
        f"see §3.2, §{WORD_JOINER}end of §{WORD_JOINER}Think: it"
    )
    assert neutralise(neutralise("§call:")) == neutralise("§call:")


def test_text_that_holds_a_delimiter_stays_in_its_section() -> None:
    tokens: list[Token] = [RespondText(text="type §end to stop"), EndToken()]
    relexed = merged(lex([render_tokens(tokens)]))
    assert relexed == [RespondText(text=f"type §{WORD_JOINER}end to stop"), EndToken()]
    assert relexed == normalise_tokens(tokens)


def test_normalise_decides_the_terminal_like_the_lexer() -> None:
    call = CallToken(raw="{}", call=ToolCall("list", {}))
    assert normalise_tokens([call, EndToken(), RespondText(text="x")]) == [
        CallToken(raw='{"name": "list", "args": {}}', call=ToolCall("list", {})),
        ExecuteToken(),
    ]
    assert normalise_tokens([RespondText(text=" a "), RespondText(text=" b ")]) == [
        RespondText(text="a  b"),
        EndToken(),
    ]


def test_the_instructions_example_is_valid_protocol() -> None:
    example = PROTOCOL_INSTRUCTIONS.split("Example:\n", 1)[1]
    first_reply = example.split("(next message", 1)[0]
    tokens = merged(lex([first_reply]))
    assert tokens == [
        ThinkText(text="I should look at the file first."),
        CallToken(
            raw='{"name": "read", "args": {"file": "main.py"}}',
            call=ToolCall("read", {"file": "main.py"}),
        ),
        ExecuteToken(),
    ]
    assert "§result:" in PROTOCOL_INSTRUCTIONS
