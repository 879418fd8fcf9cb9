"""The sans-I/O SSE parser: same events however the bytes are cut."""

from __future__ import annotations

import pytest

from silcrow.providers.base import ProviderError
from silcrow.providers.sse import SSEParser, parse_sse

STREAM = (
    ": keep-alive comment\n"
    "event: content_block_delta\n"
    'data: {"text": "héllo §execute"}\n'
    "\n"
    "data: line one\r\n"
    "data: line two\r\n"
    "\r\n"
    "id: 7\rretry: 100\rdata: cr only\r\r"
    "data: [DONE]\n\n"
).encode()


def events_of(data: bytes, cuts: list[int]) -> list[tuple[str, str]]:
    parser = SSEParser()
    out = []
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        out += parser.feed(data[start:end])
    out += parser.feed_eof()
    return [(e.event, e.data) for e in out]


EXPECTED = [
    ("content_block_delta", '{"text": "héllo §execute"}'),
    ("message", "line one\nline two"),
    ("message", "cr only"),
    ("message", "[DONE]"),
]


def test_whole_stream_gives_each_event_with_its_name_and_joined_data() -> None:
    assert events_of(STREAM, []) == EXPECTED


def test_every_split_point_gives_the_same_events() -> None:
    # Includes cuts inside the two-byte é, the three-byte §, and between \r and \n.
    for i in range(len(STREAM) + 1):
        assert events_of(STREAM, [i]) == EXPECTED, f"cut at {i}"


def test_one_byte_reads_give_the_same_events() -> None:
    assert events_of(STREAM, list(range(1, len(STREAM)))) == EXPECTED


def test_event_without_closing_blank_line_is_dispatched_at_eof() -> None:
    assert [(e.event, e.data) for e in parse_sse(b'data: {"a": 1}')] == [("message", '{"a": 1}')]


def test_a_line_longer_than_the_limit_is_refused() -> None:
    parser = SSEParser(max_line=64)
    with pytest.raises(ProviderError, match="exceeds 64 characters"):
        parser.feed(b"data: " + b"x" * 100)


def test_invalid_utf8_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="not valid UTF-8"):
        SSEParser().feed(b"data: \xff\xfe\n\n")


def test_stream_cut_inside_a_character_is_a_clear_error() -> None:
    parser = SSEParser()
    parser.feed("data: §".encode()[:-1])
    with pytest.raises(ProviderError, match="inside a UTF-8 character"):
        parser.feed_eof()
