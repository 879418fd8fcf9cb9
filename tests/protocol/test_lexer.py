"""The § lexer on fixtures from real provider behaviour, at every split point."""

from __future__ import annotations

import pytest
from lexer_cases import CASES, Case, lex, matches, merged

from silcrow.protocol.events import (
    CallToken,
    EndToken,
    ExecuteToken,
    RespondText,
    ThinkText,
    ToolCall,
)
from silcrow.protocol.lexer import HOLDBACK, WHITESPACE_CAP, Lexer

IDS = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_whole_response_gives_the_expected_tokens(case: Case) -> None:
    tokens = merged(lex([case.text], **case.lexer_args))
    assert matches(tokens, case.expected), tokens


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_two_chunk_cut_gives_the_same_tokens(case: Case) -> None:
    whole = merged(lex([case.text], **case.lexer_args))
    for cut in range(len(case.text) + 1):
        pieces = [case.text[:cut], case.text[cut:]]
        assert merged(lex(pieces, **case.lexer_args)) == whole, f"cut at {cut}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_one_character_chunks_give_the_same_tokens(case: Case) -> None:
    whole = merged(lex([case.text], **case.lexer_args))
    assert merged(lex(list(case.text), **case.lexer_args)) == whole


def test_gemini_think_split_from_its_colon() -> None:
    assert lex(["§think", ": content"]) == [ThinkText(text="content"), EndToken()]


def test_delimiter_split_mid_word_and_sign_alone() -> None:
    lexer = Lexer()
    assert lexer.feed("§thi") == []
    assert lexer.feed("nk: a") == [ThinkText(text="a")]
    assert lexer.feed("§") == []
    assert lexer.feed('call:{"name": "x"}') == [
        CallToken(raw='{"name": "x"}', call=ToolCall("x", {}))
    ]


def test_one_feed_coalesces_text_of_one_kind() -> None:
    lexer = Lexer()
    tokens = lexer.feed("hello §3 world §think: a §2 b")
    assert tokens == [RespondText(text="hello §3 world"), ThinkText(text="a §2 b")]


def test_text_is_streamed_before_the_section_ends() -> None:
    lexer = Lexer()
    assert lexer.feed("§respond: Hel") == [RespondText(text="Hel")]
    assert lexer.feed("lo there") == [RespondText(text="lo there")]


def test_trailing_whitespace_is_held_until_known() -> None:
    lexer = Lexer()
    assert lexer.feed("§respond: a\n") == [RespondText(text="a")]
    assert lexer.feed("\n") == []
    assert lexer.feed("b") == [RespondText(text="\n\nb")]


def test_nothing_comes_after_a_terminal_token() -> None:
    lexer = Lexer()
    assert lexer.feed("§end") == [EndToken()]
    assert lexer.done
    assert lexer.feed('§call: {"name": "x"}\n§execute') == []
    assert lexer.feed_eof() == []
    assert lexer.held == 0


def test_eof_releases_everything_held() -> None:
    lexer = Lexer()
    lexer.feed("§respond: a  \n §cal")
    assert lexer.held > 0
    assert lexer.feed_eof() == [RespondText(text="  \n §cal"), EndToken()]
    assert lexer.held == 0


def test_execute_is_emitted_as_soon_as_it_is_complete() -> None:
    lexer = Lexer()
    lexer.feed('§call: {"name": "x"}\n§exec')
    assert lexer.feed("ute") == [ExecuteToken()]


def test_a_call_is_emitted_as_soon_as_its_object_closes() -> None:
    lexer = Lexer()
    assert lexer.feed('§call: {"name": "x", "args": {"a": "}"}') == []
    tokens = lexer.feed("}")
    assert len(tokens) == 1 and isinstance(tokens[0], CallToken)
    assert tokens[0].call is not None and tokens[0].call.args == {"a": "}"}


def test_escape_split_across_chunks() -> None:
    text = '§call: {"name": "w", "args": {"c": "a\\\\"}}'
    for cut in range(len(text)):
        tokens = lex([text[:cut], text[cut:]])
        first = tokens[0]
        assert isinstance(first, CallToken) and first.call is not None, cut
        assert first.call.args == {"c": "a\\"}


def test_bad_cap_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="max_call_chars"):
        Lexer(max_call_chars=0)


# -- bounded memory on adversarial input (structural, not timed) -------------


def _max_held(chunks: list[str], **lexer_args: int) -> tuple[int, int]:
    lexer = Lexer(**lexer_args)
    most = out = 0
    for chunk in chunks:
        for token in lexer.feed(chunk):
            out += len(getattr(token, "text", ""))
        most = max(most, lexer.held)
    return most, out


@pytest.mark.parametrize("unit", ["§", "§thin", "§cal", "§respond", "§ca§c"])
def test_delimiter_fragments_hold_back_at_most_one_delimiter(unit: str) -> None:
    text = unit * (20_000 // len(unit))
    most, out = _max_held(list(text))
    assert most <= HOLDBACK
    assert out >= len(text) - HOLDBACK  # everything else went out as text, in order


def test_long_whitespace_is_held_only_up_to_the_cap() -> None:
    most, out = _max_held(["a"] + [" \n"] * 10_000)
    assert most <= WHITESPACE_CAP + HOLDBACK
    assert out == 1 + 20_000 - WHITESPACE_CAP


def test_oversized_call_body_is_not_kept() -> None:
    body = '{"name": "write", "args": {"c": "' + '§x\\"' * 20_000 + '"}}'
    lexer = Lexer(max_call_chars=1_000)
    errors = []
    most = 0
    for i in range(0, len(body), 7):
        errors += lexer.feed(("§call: " if i == 0 else "") + body[i : i + 7])
        most = max(most, lexer.held)
    errors += lexer.feed("\nafter")
    assert most <= 1_000 + HOLDBACK + 7 + len("§call: ")
    assert [type(t) for t in errors] == [CallToken, RespondText]
    assert isinstance(errors[0], CallToken) and "longer than 1000" in (errors[0].error or "")
    assert errors[1] == RespondText(text="after")
