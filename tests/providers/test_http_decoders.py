"""Vendor stream decoders fed raw SSE bytes, cut at every index."""

from __future__ import annotations

import itertools
import json

import pytest

from silcrow.providers.anthropic import AnthropicDecoder
from silcrow.providers.base import (
    Overloaded,
    ProviderError,
    RateLimited,
    Stop,
    StopReason,
    TextDelta,
    Usage,
)
from silcrow.providers.gemini import GeminiDecoder, decode_gemini_chunk
from silcrow.providers.http import StreamDecoder
from silcrow.providers.openai_chat import ChatDecoder, decode_chat_chunk
from silcrow.providers.sse import SSEParser

Decoded = tuple[str, Usage | None, Stop | None]


def run(decoder: StreamDecoder, data: bytes, cuts: list[int] | None = None) -> Decoded:
    """Feed like the driver does; return (text, last usage snapshot, last stop)."""
    parser, text, usage, stop = SSEParser(), "", None, None
    bounds = [0, *(cuts or []), len(data)]
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
    events = [e for piece in pieces for e in parser.feed(piece)] + parser.feed_eof()
    for event in events:
        for item in decoder.feed(event):
            match item:
                case TextDelta():
                    text += item.text
                case Usage():
                    usage = item
                case Stop():
                    stop = item
        if decoder.done:
            break
    else:
        decoder.finish()
    return text, usage, stop


def every_cut(make: type, data: bytes, expected: Decoded) -> None:
    for i in range(len(data) + 1):
        assert run(make(), data, [i]) == expected, f"cut at {i}"


OPENAI = b"".join(
    [
        b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}\n\n',
        'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"§think: é"},"finish_reason":null}],"usage":null,"obfuscation":"qZ3"}\n\n'.encode(),
        b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":" ok"},"finish_reason":"stop"}],"usage":null}\n\n',
        b'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":7,"total_tokens":127,'
        b'"prompt_tokens_details":{"cached_tokens":100,"cache_write_tokens":20}},"timings":{"cache_n":100,"prompt_n":20}}\n\n',
        b"data: [DONE]\n\n",
    ]
)


def test_openai_chat_text_and_usage_at_every_cut() -> None:
    usage = Usage(input_tokens=120, cached_tokens=100, cache_write_tokens=20, output_tokens=7)
    every_cut(ChatDecoder, OPENAI, ("§think: é ok", usage, Stop(StopReason.END, "stop")))


def test_openai_chat_without_usage_chunk_is_fine() -> None:
    without = b"".join(OPENAI.split(b"\n\n")[i] + b"\n\n" for i in (0, 1, 2, 4))
    assert run(ChatDecoder(), without) == ("§think: é ok", None, Stop(StopReason.END, "stop"))


def test_openai_chat_stream_cut_before_done_is_an_error() -> None:
    with pytest.raises(ProviderError, match=r"before \[DONE\]") as err:
        run(ChatDecoder(), OPENAI.split(b"\n\n")[1] + b"\n\n")
    assert err.value.retryable


def test_openai_chat_malformed_frame_names_the_vendor_and_the_frame() -> None:
    with pytest.raises(
        ProviderError, match=r"OpenAI sent a malformed stream frame .*\{\"choices\""
    ):
        decode_chat_chunk('{"choices": [')


def test_openai_chat_error_frame_in_stream_is_mapped() -> None:
    with pytest.raises(RateLimited):
        decode_chat_chunk(json.dumps({"error": {"type": "rate_limit_exceeded", "message": "slow"}}))


ANTHROPIC = b"".join(
    [
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","content":[],'
        b'"usage":{"input_tokens":5,"cache_creation_input_tokens":40,"cache_read_input_tokens":300,"output_tokens":1}}}\n\n',
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
        b'event: ping\ndata: {"type": "ping"}\n\n',
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"§respond: "}}\n\n'.encode(),
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hidden"}}\n\n',
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":3}}\n\n',
        b'event: brand_new_event\ndata: {"type":"brand_new_event"}\n\n',
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"\xc2\xa7execute"},'
        b'"usage":{"output_tokens":9,"input_tokens":5,"cache_creation_input_tokens":40,"cache_read_input_tokens":300}}\n\n',
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]
)


def test_anthropic_cumulative_usage_is_taken_not_summed_and_normalised() -> None:
    # input = 5 uncached + 40 written + 300 read; output is the last cumulative value.
    usage = Usage(input_tokens=345, cached_tokens=300, cache_write_tokens=40, output_tokens=9)
    stop = Stop(StopReason.END, "stop_sequence")
    every_cut(AnthropicDecoder, ANTHROPIC, ("§respond: hi", usage, stop))


def test_anthropic_stop_reason_is_kept() -> None:
    decoder = AnthropicDecoder()
    run(decoder, ANTHROPIC)
    assert decoder.stop_reason == "stop_sequence"


def test_anthropic_overloaded_in_stream_raises_overloaded() -> None:
    data = (
        ANTHROPIC.split(b"\n\n")[0]
        + b"\n\n"
        + (
            b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
        )
    )
    with pytest.raises(Overloaded, match="overloaded_error: Overloaded"):
        run(AnthropicDecoder(), data)


def test_anthropic_stream_without_message_stop_is_an_error() -> None:
    with pytest.raises(ProviderError, match="before message_stop"):
        run(AnthropicDecoder(), b"".join(ANTHROPIC.split(b"\n\n")[i] + b"\n\n" for i in range(4)))


GEMINI = b"".join(
    [
        b'data: {"candidates":[{"content":{"parts":[{"text":"\xc2\xa7think: a"}],"role":"model"},"index":0}],'
        b'"usageMetadata":{"promptTokenCount":50,"totalTokenCount":52,"candidatesTokenCount":2},"modelVersion":"g"}\r\n\r\n',
        b'data: {"candidates":[{"content":{"parts":[{"text":"plan","thought":true},{"text":"b"},{"text":"c"}],"role":"model"},"index":0}],'
        b'"usageMetadata":{"promptTokenCount":50,"candidatesTokenCount":4}}\r\n\r\n',
        b'data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],'
        b'"usageMetadata":{"promptTokenCount":50,"candidatesTokenCount":6,"thoughtsTokenCount":3,"cachedContentTokenCount":32,'
        b'"totalTokenCount":59}}\r\n\r\n',
    ]
)


def test_gemini_text_and_last_usage_at_every_cut() -> None:
    usage = Usage(input_tokens=50, cached_tokens=32, output_tokens=9)
    every_cut(GeminiDecoder, GEMINI, ("§think: abc", usage, Stop(StopReason.END, "STOP")))


def test_gemini_stream_ending_without_finish_reason_was_cut() -> None:
    with pytest.raises(ProviderError, match="without a finishReason"):
        run(GeminiDecoder(), GEMINI.split(b"\r\n\r\n")[0] + b"\r\n\r\n")


def test_gemini_blocked_prompt_is_a_safety_stop_that_says_why() -> None:
    blocked = b'data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}\n\n'
    text, _, stop = run(GeminiDecoder(), blocked)
    assert text == ""
    assert stop == Stop(
        StopReason.SAFETY, "PROHIBITED_CONTENT", "Gemini blocked the prompt (PROHIBITED_CONTENT)"
    )


def test_gemini_error_object_in_stream_is_mapped() -> None:
    with pytest.raises(RateLimited):
        decode_gemini_chunk(
            '{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'
        )


def chat_frames(*chunks: dict[str, object]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + (
        b"data: [DONE]\n\n"
    )


def choice(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


@pytest.mark.parametrize(
    ("frames", "stop"),
    [
        (
            chat_frames(choice({"refusal": "I can't "}), choice({"refusal": "help."}, "stop")),
            Stop(StopReason.REFUSAL, "stop", "I can't help."),
        ),
        (chat_frames(choice({"content": "x"}, "length")), Stop(StopReason.LENGTH, "length")),
        (
            chat_frames(choice({"content": "x"}, "content_filter")),
            Stop(StopReason.SAFETY, "content_filter"),
        ),
        (chat_frames(choice({}, "tool_calls")), Stop(StopReason.TOOL, "tool_calls")),
    ],
)
def test_chat_finish_reasons_and_refusals_become_stops(frames: bytes, stop: Stop) -> None:
    assert run(ChatDecoder(), frames)[2] == stop


def test_chat_reasoning_fields_and_thinking_parts_are_never_text() -> None:
    frames = chat_frames(
        choice({"reasoning_content": "hidden 1", "reasoning": "hidden 2", "content": None}),
        choice({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "no"}]}]}),
        choice(
            {"content": [{"type": "text", "text": "§respond: "}, {"type": "text", "text": "hi"}]}
        ),
        choice({}, "stop"),
    )
    assert run(ChatDecoder(), frames)[0] == "§respond: hi"


def anthropic_ending(stop_reason: str) -> bytes:
    head = b"".join(ANTHROPIC.split(b"\n\n")[i] + b"\n\n" for i in range(2))
    delta = {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": {}}
    return (
        head
        + b"event: message_delta\ndata: "
        + json.dumps(delta).encode()
        + b'\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n'
    )


@pytest.mark.parametrize(
    ("vendor_reason", "reason"),
    [
        ("max_tokens", StopReason.LENGTH),
        ("model_context_window_exceeded", StopReason.LENGTH),
        ("refusal", StopReason.REFUSAL),
        ("pause_turn", StopReason.TOOL),
        ("end_turn", StopReason.END),
        ("a_future_reason", StopReason.END),
    ],
)
def test_anthropic_stop_reasons_are_mapped(vendor_reason: str, reason: StopReason) -> None:
    assert run(AnthropicDecoder(), anthropic_ending(vendor_reason))[2] == Stop(
        reason, vendor_reason
    )


@pytest.mark.parametrize(
    ("vendor_reason", "reason"),
    [
        ("MAX_TOKENS", StopReason.LENGTH),
        ("SAFETY", StopReason.SAFETY),
        ("RECITATION", StopReason.SAFETY),
        ("PROHIBITED_CONTENT", StopReason.SAFETY),
        ("MALFORMED_FUNCTION_CALL", StopReason.ERROR),
        ("STOP", StopReason.END),
    ],
)
def test_gemini_finish_reasons_are_mapped(vendor_reason: str, reason: StopReason) -> None:
    frame = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": vendor_reason}]}
    data = b"data: " + json.dumps(frame).encode() + b"\r\n\r\n"
    assert run(GeminiDecoder(), data)[2] == Stop(reason, vendor_reason)
