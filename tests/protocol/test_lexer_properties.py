"""Properties of the lexer and renderer on generated input (hypothesis)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lexer_cases import lex, merged

from silcrow.protocol.calls import parse_call
from silcrow.protocol.events import (
    CallToken,
    EndToken,
    ExecuteToken,
    RespondText,
    ThinkText,
    Token,
    ToolCall,
)
from silcrow.protocol.render import normalise_tokens, render_tokens

FRAGMENTS = [
    "§",
    "§think:",
    "§THINK:",
    "§respond:",
    "§call:",
    "§CALLS:",
    "§call{",
    "§call {",
    "§execute",
    "§end",
    "§YIELD",
    "§thi",
    "§cal",
    "§exec",
    "think",
    "call",
    "nk:",
    ":",
    "{",
    "}",
    "[",
    "]",
    '"',
    "\\",
    '\\"',
    "\\\\",
    " ",
    "\n",
    "\t",
    "x",
    "3.2",
    '"name"',
    '"args"',
    '{"name": "read", "args": {}}',
    "\u2060",
    "é",
]
protocolish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=40).map(
    "".join
)
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cuts(text: str, points: list[int]) -> list[str]:
    marks = sorted({p % (len(text) + 1) for p in points})
    edges = [0, *marks, len(text)]
    return [text[a:b] for a, b in pairwise(edges)]


@fast
@given(protocolish, st.lists(st.integers(min_value=0), max_size=8))
def test_never_raises_and_chunking_never_changes_the_tokens(text: str, points: list[int]) -> None:
    whole = merged(lex([text]))
    assert merged(lex(_cuts(text, points))) == whole
    assert isinstance(whole[-1], (ExecuteToken, EndToken))
    assert sum(isinstance(t, (ExecuteToken, EndToken)) for t in whole) == 1


@fast
@given(st.text(max_size=200))
def test_never_raises_on_any_text(text: str) -> None:
    tokens = lex(list(text))
    assert merged(tokens) == merged(lex([text]))


def _blur_errors(tokens: list[Token]) -> list[Token]:
    """Malformed calls compared by position only: their raw and error depend on
    what followed them in the original text (see docs/wire-protocol.md)."""
    return [
        CallToken(error="malformed") if isinstance(t, CallToken) and t.call is None else t
        for t in tokens
    ]


@fast
@given(protocolish)
def test_relexing_rendered_lexer_output_is_stable(text: str) -> None:
    tokens = lex([text])
    again = merged(lex([render_tokens(tokens)]))
    assert _blur_errors(again) == _blur_errors(normalise_tokens(tokens))


# -- arbitrary tokens -> render -> lex -----------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), protocolish
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(protocolish, inner, max_size=3)
    ),
    max_leaves=5,
)
valid_calls = st.builds(
    lambda name, args: CallToken(raw="ignored", call=ToolCall(name, args)),
    protocolish.filter(lambda s: s.strip() != ""),
    st.dictionaries(protocolish, json_values, max_size=3),
)
closed_bad_bodies = st.sampled_from(
    [
        '{"name": 1}',
        "{}",
        '{"name": "a", "args": 3}',
        '{"name": "a", "arguments": {}}',
        '{"name": "a", "args": {"x": }}',
        '{"name": "§end", "args": [1]}',
    ]
).map(parse_call)
tokens_strategy = st.lists(
    st.one_of(
        st.builds(ThinkText, text=protocolish),
        st.builds(RespondText, text=protocolish),
        valid_calls,
        closed_bad_bodies,
        st.just(ExecuteToken()),
        st.just(EndToken()),
    ),
    max_size=8,
)


@fast
@given(tokens_strategy, st.lists(st.integers(min_value=0), max_size=4))
def test_render_then_lex_gives_the_normalised_tokens(
    tokens: list[Token], points: list[int]
) -> None:
    text = render_tokens(tokens)
    assert merged(lex(_cuts(text, points))) == normalise_tokens(tokens)
