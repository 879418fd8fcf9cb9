"""The call codec: parse, parse the older array dialect, encode byte-stably."""

from __future__ import annotations

import pytest

from silcrow.protocol.calls import encode_call, parse_call, parse_calls_array
from silcrow.protocol.events import CallToken, ToolCall


def test_encode_is_byte_stable_and_keeps_non_ascii() -> None:
    call = ToolCall("write", {"file": "é.md", "content": '§1 "q"'})
    expected = '{"name": "write", "args": {"file": "é.md", "content": "§1 \\"q\\""}}'
    assert encode_call(call) == expected
    assert encode_call(ToolCall("write", dict(call.args))) == expected


def test_encode_then_parse_gives_the_call_back() -> None:
    call = ToolCall("edit", {"old": "a", "new": ["b", {"c": None}], "n": 1.5})
    token = parse_call(encode_call(call))
    assert token == CallToken(raw=encode_call(call), call=call)


def test_missing_args_mean_no_arguments() -> None:
    assert parse_call(' {"name": "list"} ').call == ToolCall("list", {})


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        ("", ["empty"]),
        ("{", ["not valid JSON", "line 1"]),
        ('["read"]', ["JSON object", "array"]),
        ('{"args": {}}', ['"name"']),
        ('{"name": "  ", "args": {}}', ['"name"']),
        ('{"name": 3}', ['"name"']),
        ('{"name": "read", "args": "main.py"}', ['"args"', "string"]),
        ('{"name": "read", "arguments": {}}', ["'arguments'", 'under "args"']),
        ('{"name": "read", "args": {}, "id": 1}', ["'id'"]),
        ('{"name": "x", "args": {"n": ' + "9" * 5000 + "}}", ["too many digits"]),
        ('{"name": "x", "args": ' + "[" * 100_000 + "]" * 100_000 + "}", ["JSON"]),
    ],
)
def test_bad_calls_say_what_is_wrong_and_what_to_write(raw: str, needles: list[str]) -> None:
    token = parse_call(raw)
    assert token.call is None and token.raw == raw.strip()
    assert token.error is not None
    for needle in needles:
        assert needle in token.error
    assert '§call: {"name": "<tool>", "args": {...}}' in token.error


def test_calls_array_gives_one_token_per_element() -> None:
    tokens = parse_calls_array('[{"name": "a", "args": {"x": 1}}, {"name": "b"}, "c"]')
    assert [t.call for t in tokens] == [ToolCall("a", {"x": 1}), ToolCall("b", {}), None]
    assert tokens[0].raw == '{"name": "a", "args": {"x": 1}}'
    assert tokens[2].raw == '"c"' and "string" in (tokens[2].error or "")


def test_calls_array_that_is_not_an_array_is_one_error() -> None:
    [token] = parse_calls_array('{"name": "a"}')
    assert token.call is None and "JSON array" in (token.error or "")
    [token] = parse_calls_array("[1,")
    assert token.call is None and "not valid JSON" in (token.error or "")
    assert parse_calls_array("[]") == []
