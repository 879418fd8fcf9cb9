"""Request building (byte-stable, vendor rules), error mapping, retry timing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from silcrow.providers.anthropic import AnthropicProvider, messages_request
from silcrow.providers.base import (
    AuthError,
    Message,
    Overloaded,
    ProviderError,
    RateLimited,
    TextDelta,
    Usage,
)
from silcrow.providers.config import ProviderConfig
from silcrow.providers.errors import (
    error_from_status,
    host_label,
    retry_after_seconds,
    retry_delay_from_body,
)
from silcrow.providers.gemini import gemini_request
from silcrow.providers.http import (
    RETRY_BASE_DELAY,
    RETRY_MAX_DELAY,
    alternating_turns,
    backoff_delay,
    json_body,
)
from silcrow.providers.openai_chat import chat_request, takes_stop

HISTORY = [
    Message("system", "You are terse."),
    Message("system", "Tools: read."),
    Message("user", "read a.py"),
    Message("assistant", '§call: {"name": "read"}\n'),
    Message("user", "<results>print(1)</results>"),
    Message("user", "and explain"),
    Message("system", "late note"),
    Message("assistant", ""),
]


def cfg(name: str, **kw: object) -> ProviderConfig:
    kw.setdefault("model", f"{name}-model")
    return ProviderConfig(name=name, base_url="http://x/v1", api_key="k", **kw)  # type: ignore[arg-type]


def test_alternating_turns_split_system_merge_neighbours_and_drop_empty() -> None:
    system, turns = alternating_turns(HISTORY)
    assert system == ["You are terse.", "Tools: read."]
    assert [(t.role, t.texts) for t in turns] == [
        ("user", ("read a.py",)),
        ("assistant", ('§call: {"name": "read"}\n',)),
        ("user", ("<results>print(1)</results>", "and explain", "late note")),
    ]


BUILDERS = [
    lambda m: chat_request(cfg("openai"), m, ["§execute"], send_stop=True),
    lambda m: messages_request(cfg("anthropic"), m, ["§execute"]),
    lambda m: gemini_request(cfg("gemini"), m, ["§execute"]),
]


@pytest.mark.parametrize("build", BUILDERS)
def test_same_messages_give_the_same_canonical_bytes(build) -> None:  # type: ignore[no-untyped-def]
    first = build(list(HISTORY)).body
    assert build([Message(m.role, m.content) for m in HISTORY]).body == first
    assert first == json_body(json.loads(first))  # compact, sorted keys, UTF-8 kept
    assert "§execute".encode() in first


def test_anthropic_request_shape_system_blocks_and_two_cache_breakpoints() -> None:
    req = messages_request(cfg("anthropic", max_output_tokens=321), HISTORY, ["§execute"])
    body = json.loads(req.body)
    assert req.url == "http://x/v1/messages"
    assert req.headers["x-api-key"] == "k" and req.headers["anthropic-version"] == "2026-10-21"
    assert body["max_tokens"] == 321 and body["stream"] is True
    assert body["stop_sequences"] == ["§execute"]
    assert [b["text"] for b in body["system"]] == ["You are terse.", "Tools: read."]
    assert {m["role"] for m in body["messages"]} == {"user", "assistant"}
    # Two breakpoints: the last system block, and the top-level one that marks the
    # last block of the conversation without writing into it.
    marked = [b for m in body["messages"] for b in m["content"] if "cache_control" in b]
    marked += [b for b in body["system"] if "cache_control" in b]
    assert marked == [body["system"][-1]]
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][-1]["content"][-1] == {"type": "text", "text": "late note"}


@pytest.mark.parametrize("build", BUILDERS)
def test_a_longer_conversation_extends_the_previous_body(build) -> None:  # type: ignore[no-untyped-def]
    before = build(list(HISTORY)).body
    after = build([*HISTORY, Message("assistant", "an answer"), Message("user", "more")]).body
    assert after.startswith(before[:-3])  # all but the closing brackets of the conversation


def test_gemini_request_shape() -> None:
    req = gemini_request(cfg("gemini", model="models/gemini-x"), HISTORY, ["§execute"])
    body = json.loads(req.body)
    assert req.url == "http://x/v1/models/gemini-x:streamGenerateContent?alt=sse"
    assert req.headers["x-goog-api-key"] == "k"
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["systemInstruction"] == {
        "parts": [{"text": "You are terse."}, {"text": "Tools: read."}]
    }
    assert body["generationConfig"]["stopSequences"] == ["§execute"]


def test_openai_request_shape_and_key_only_when_configured() -> None:
    body = json.loads(chat_request(cfg("openai"), HISTORY[:3], ["§execute"], send_stop=True).body)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["stop"] == ["§execute"] and body["max_completion_tokens"] == 4096
    assert [m["role"] for m in body["messages"]] == ["system", "system", "user"]
    local = ProviderConfig(name="ollama", model="m", base_url="http://l/v1")
    req = chat_request(local, HISTORY[:3], ["§execute"], send_stop=False)
    assert "authorization" not in req.headers
    assert "stop" not in json.loads(req.body) and json.loads(req.body)["max_tokens"] == 4096


def test_stop_is_not_sent_to_openai_reasoning_models_unless_forced() -> None:
    assert not takes_stop(cfg("openai", model="gpt-5-mini"))
    assert takes_stop(cfg("openai", model="gpt-4.1-mini"))
    assert takes_stop(cfg("openai", model="gpt-5-mini", extra={"stop_sequences": True}))
    assert takes_stop(
        ProviderConfig(name="openai-compatible", model="gpt-5-local", base_url="http://l")
    )


@pytest.mark.parametrize(
    ("model", "takes"),
    [
        ("o1", False),
        ("o3-pro", False),
        ("o4-mini-deep-research", False),
        ("gpt-5", False),
        ("gpt-5.4-mini", False),
        ("gpt-5-codex", False),
        ("codex-mini-latest", False),
        ("ft:gpt-5-mini:acme::abc123", False),
        ("gpt-4.1-mini", True),
        ("gpt-4o", True),
        ("gpt-oss-120b", True),
        ("omni-moderation-latest", True),
    ],
)
def test_the_stop_rule_covers_current_openai_model_names(model: str, takes: bool) -> None:
    assert takes_stop(cfg("openai", model=model)) is takes


def test_too_many_stop_sequences_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="at most 4 stop sequences; got 5"):
        chat_request(cfg("openai"), HISTORY, list("abcde"), send_stop=True)


def test_only_system_messages_is_a_clear_error() -> None:
    with pytest.raises(ProviderError, match="at least one non-empty user or assistant"):
        messages_request(cfg("anthropic"), HISTORY[:2], [])


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (
            401,
            b'{"error":{"message":"Incorrect API key","type":"invalid_request_error"}}',
            AuthError,
        ),
        (
            400,
            b'{\n  "error": {\n    "code": 400,\n    "message": "API key not valid.",\n    "status": "INVALID_ARGUMENT",\n'
            b'    "details": [{"reason": "API_KEY_INVALID"}]\n  }\n}\n',
            AuthError,
        ),
        (
            429,
            b'{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}',
            RateLimited,
        ),
        (
            529,
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            Overloaded,
        ),
        (503, b"<html>bad gateway</html>", ProviderError),
    ],
)
def test_error_from_status_maps_vendor_shapes(
    status: int, body: bytes, cls: type[ProviderError]
) -> None:
    err = error_from_status("V", status, body, key_env="V_KEY")
    assert type(err) is cls
    assert f"HTTP {status}" in str(err)
    if cls is AuthError:
        assert "V_KEY" in str(err)
    assert err.retryable is (status >= 429)


def test_error_message_quotes_the_vendor_message() -> None:
    err = error_from_status(
        "Anthropic",
        400,
        b'{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}',
    )
    assert "invalid_request_error: max_tokens: Field required" in str(err) and not err.retryable


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after_seconds({"retry-after": later}) or 0) <= 30


def test_backoff_is_full_jitter_under_a_growing_capped_ceiling() -> None:
    assert [backoff_delay(a, base=0.5, cap=8, rng=lambda: 1.0) for a in range(6)] == [
        0.5,
        1,
        2,
        4,
        8,
        8,
    ]
    assert backoff_delay(3, base=0.5, cap=8, rng=lambda: 0.0) == 0.0
    assert backoff_delay(3, base=0.5, cap=8, rng=lambda: 0.25) == 1.0


async def test_injected_client_is_used_and_retry_after_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("silcrow.providers.http.asyncio.sleep", record_sleep)
    stream = (
        b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"ok"}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    answers = [
        httpx.Response(
            429,
            headers={"retry-after": "7"},
            json={"type": "error", "error": {"type": "rate_limit_error"}},
        ),
        httpx.Response(
            500, json={"type": "error", "error": {"type": "api_error", "message": "boom"}}
        ),
        httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream),
    ]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[len(seen) - 1]

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    provider = AnthropicProvider(
        cfg("anthropic", extra={"retry_base_delay": 0.5, "retry_max_delay": 8}), http_client=client
    )
    items = [item async for item in provider.stream([Message("user", "hi")])]
    assert items[0] == TextDelta(text="ok")
    assert items[1] == Usage(input_tokens=3, output_tokens=1, sent_bytes=len(seen[0].content))
    assert len(seen) == 3 and seen[0].url == "http://x/v1/messages"
    assert waits[0] == 7.0  # the server's Retry-After
    assert 0.0 <= waits[1] < 1.0  # then jittered backoff, second attempt ceiling base * 2
    await client.aclose()


GEMINI_429 = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{}]},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
        ],
    }
}


def test_gemini_retry_delay_is_read_from_the_error_body() -> None:
    assert retry_delay_from_body(json.dumps(GEMINI_429).encode()) == 37.0
    half = json.dumps({"error": {"details": [{"@type": "x.RetryInfo", "retryDelay": "0.5s"}]}})
    assert retry_delay_from_body(half.encode()) == 0.5
    assert retry_delay_from_body(b'{"error": {"code": 429}}') is None
    assert retry_delay_from_body(b"not json") is None


def test_without_a_hint_three_retries_wait_under_five_seconds_in_the_worst_case() -> None:
    worst = [
        backoff_delay(a, base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, rng=lambda: 1.0)
        for a in range(ProviderConfig(name="x", model="m", base_url="http://x").max_retries)
    ]
    assert len(worst) == 3 and sum(worst) <= 5.0


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://localhost:11434/v1", "localhost:11434"),
        ("https://openrouter.ai/api/v1", "openrouter.ai:443"),
        ("http://10.0.0.2/v1", "10.0.0.2:80"),
    ],
)
def test_url_providers_are_named_by_host_and_port(url: str, label: str) -> None:
    assert host_label(url) == label
