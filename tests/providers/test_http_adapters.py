"""Each replay adapter end to end against the loopback fake server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from fakes.http_server import FakeHTTPServer
from silcrow.providers.base import (
    AuthError,
    Message,
    Overloaded,
    Provider,
    ProviderError,
    RateLimited,
    Stop,
    StopReason,
    TextDelta,
    Usage,
)
from silcrow.providers.registry import make_provider

VENDORS = ["openai", "anthropic", "gemini"]
KEY = "test-key"
KEY_VARS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
}
CYCLE_1 = '§think: look first\n§call: {"name": "read", "args": {"path": "a.py"}}\n§execute\n<results>made up</results>'
CYCLE_2 = "§respond: a.py prints 1\n§end\n"
START = [Message("system", "You are Silcrow."), Message("user", "what does a.py do?")]

MakeProvider = Callable[..., Provider]


async def collect(
    provider: Provider, messages: Sequence[Message], stop: Sequence[str] = ("§execute",)
) -> tuple[str, list[Usage]]:
    text, usages, stops = "", [], []
    async for item in provider.stream(messages, stop=stop):
        match item:
            case TextDelta():
                text += item.text
            case Usage():
                usages.append(item)
            case Stop():
                stops.append(item)
    assert [s.reason for s in stops] == [StopReason.END]  # one stop per reply, a normal end
    return text, usages


def expected_usage(vendor: str, server: FakeHTTPServer) -> Usage:
    bill, request = server.ledger.bills[-1], server.requests[-1]
    write = bill.input_tokens - bill.cached_tokens if vendor == "anthropic" else 0
    return Usage(
        input_tokens=bill.input_tokens,
        cached_tokens=bill.cached_tokens,
        cache_write_tokens=write,
        output_tokens=bill.output_tokens,
        sent_bytes=request.bytes,
    )


@pytest.mark.parametrize("vendor", VENDORS)
async def test_two_cycle_exchange_with_stop_usage_and_cache(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_1, CYCLE_2], chunk=5)
    provider = http_fake_provider(server, vendor)

    text, usages = await collect(provider, START)
    assert text == CYCLE_1.split("§execute")[0]  # the server stopped before the delimiter
    assert usages == [expected_usage(vendor, server)]
    assert usages[0].output_tokens > 0 and usages[0].sent_bytes > 0

    history = [*START, Message("assistant", text), Message("user", "<results>print(1)</results>")]
    text2, usages2 = await collect(provider, history)
    assert text2 == CYCLE_2
    assert usages2 == [expected_usage(vendor, server)]
    assert usages2[0].cached_tokens > 0  # the first cycle's context is a cached prefix
    assert usages2[0].input_tokens > usages[0].input_tokens
    assert "look first" in server.requests[1].body.decode()
    assert len(server.requests) == 2


@pytest.mark.parametrize("vendor", VENDORS)
async def test_same_messages_send_the_same_bytes(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake(["§respond: one\n§end\n", "§respond: two\n§end\n"])
    provider = http_fake_provider(server, vendor)
    await collect(provider, START)
    await collect(provider, list(START))
    assert server.requests[0].body == server.requests[1].body


@pytest.mark.parametrize(
    ("vendor", "status", "error"),
    [
        ("openai", 429, RateLimited),
        ("anthropic", 529, Overloaded),
        ("gemini", 503, ProviderError),
    ],
)
async def test_transient_status_is_retried_then_succeeds(
    vendor: str, status: int, error: type, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.fail_next(status, times=2, retry_after=0.001)
    text, _ = await collect(http_fake_provider(server, vendor), START)
    assert text == CYCLE_2
    assert [r.fault.status if r.fault else None for r in server.requests] == [status, status, None]


@pytest.mark.parametrize("vendor", VENDORS)
async def test_retries_stop_at_max_retries(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.fail_next(500, times=5)
    with pytest.raises(ProviderError, match="HTTP 500") as err:
        await collect(http_fake_provider(server, vendor, max_retries=2), START)
    assert err.value.retryable  # the caller may try again later
    assert len(server.requests) == 3


@pytest.mark.parametrize("vendor", VENDORS)
async def test_retry_after_longer_than_allowed_is_not_waited(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.fail_next(429, retry_after=120)  # Gemini: RetryInfo.retryDelay in the body
    with pytest.raises(RateLimited, match=r"rate-limited .*\[the server asked to wait 120 s\]"):
        await collect(http_fake_provider(server, vendor), START)
    assert len(server.requests) == 1


async def test_gemini_retry_delay_in_the_body_is_waited(
    http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.fail_next(429, retry_after=0.01)
    text, _ = await collect(http_fake_provider(server, "gemini", max_retries=1), START)
    assert text == CYCLE_2 and len(server.requests) == 2


@pytest.mark.parametrize(
    ("vendor", "name"),
    [
        ("openai", "OpenAI"),
        ("anthropic", "Anthropic"),
        ("gemini", "Gemini"),
        ("openai-compatible", "127.0.0.1:{port}"),
    ],
)
async def test_a_429_without_a_hint_is_retried_three_times_then_one_error_names_the_provider(
    vendor: str, name: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2], api_key=None if vendor == "openai-compatible" else KEY)
    server.fail_next(429, times=10)
    with pytest.raises(RateLimited) as err:
        await collect(http_fake_provider(server, vendor), START)
    message = str(err.value)
    assert message.startswith(f"{name.format(port=server.port)} rate-limited the request")
    assert message.endswith("[4 attempts]")
    assert len(server.requests) == 4  # max_retries defaults to 3


@pytest.mark.parametrize("vendor", VENDORS)
async def test_rejected_key_is_auth_error_naming_the_variable(
    vendor: str, http_fake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await http_fake([CYCLE_2])
    monkeypatch.setenv(KEY_VARS[vendor], "wrong-key")
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    provider = make_provider(vendor, base_url=server.base_url(vendor), model="m")
    with pytest.raises(AuthError, match=KEY_VARS[vendor]):
        await collect(provider, START)
    await provider.aclose()
    assert len(server.requests) == 1  # never retried


@pytest.mark.parametrize(
    ("vendor", "error_type"),
    [
        ("openai", "server_error"),
        ("anthropic", "overloaded_error"),
        ("gemini", "UNAVAILABLE"),
    ],
)
async def test_error_mid_stream_after_text_is_raised_not_retried(
    vendor: str, error_type: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2], chunk=3)
    server.error_mid_stream(after=2, error_type=error_type)
    seen = ""
    with pytest.raises(ProviderError, match="after text was streamed; not retried") as err:
        async for item in http_fake_provider(server, vendor).stream(START):
            seen += item.text if isinstance(item, TextDelta) else ""
    assert seen == CYCLE_2[:6]
    assert not err.value.retryable and error_type in str(err.value)
    assert len(server.requests) == 1


async def test_anthropic_overloaded_before_any_text_is_retried(
    http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.error_mid_stream(after=0, error_type="overloaded_error")
    text, _ = await collect(http_fake_provider(server, "anthropic"), START)
    assert text == CYCLE_2 and len(server.requests) == 2


@pytest.mark.parametrize("vendor", VENDORS)
async def test_dropped_connection_mid_stream_is_a_provider_error(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2], chunk=3)
    server.drop_after(2)
    with pytest.raises(ProviderError, match="dropped mid-stream"):
        await collect(http_fake_provider(server, vendor), START)
    assert len(server.requests) == 1


@pytest.mark.parametrize("vendor", VENDORS)
async def test_drop_before_any_text_is_retried(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.drop_after(0)
    text, _ = await collect(http_fake_provider(server, vendor), START)
    assert text == CYCLE_2 and len(server.requests) == 2


@pytest.mark.parametrize("vendor", VENDORS)
async def test_malformed_frame_is_a_clear_error(
    vendor: str, http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.malformed_after(0)
    with pytest.raises(ProviderError, match="sent a malformed stream frame") as err:
        await collect(http_fake_provider(server, vendor), START)
    assert not err.value.retryable and len(server.requests) == 1


async def test_gemini_unframed_error_json_is_quoted(
    http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2])
    server.fail_next(400, message="Invalid JSON payload received.")
    with pytest.raises(
        ProviderError, match="INVALID_ARGUMENT: Invalid JSON payload received"
    ) as err:
        await collect(http_fake_provider(server, "gemini"), START)
    assert not err.value.retryable


async def test_gemini_error_body_is_multi_line_json(http_fake: Any) -> None:
    server = await http_fake([CYCLE_2])
    url = f"{server.base_url('gemini')}/models/g:streamGenerateContent?alt=sse"
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json={"contents": []})
        wrong = await client.post(url, json={"contents": []}, headers={"x-goog-api-key": "bad"})
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
    assert wrong.status_code == 400 and wrong.text.count("\n") > 3
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_openai_compatible_server_without_key_or_usage(
    http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_2], api_key=None, omit_usage=True)
    text, usages = await collect(http_fake_provider(server, "openai-compatible"), START)
    assert text == CYCLE_2
    assert usages == [
        Usage(sent_bytes=server.requests[0].bytes)
    ]  # no token figures, bytes still known
    assert "authorization" not in server.requests[0].headers


async def test_reasoning_model_gets_no_stop_and_streams_past_the_delimiter(
    http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_1])
    provider = http_fake_provider(server, "openai", model="gpt-5-mini")
    assert not provider.capabilities.stop_sequences
    text, _ = await collect(provider, START)
    assert "stop" not in server.requests[0].json and text == CYCLE_1


async def test_anthropic_request_with_system_role_is_refused_by_the_fake(http_fake: Any) -> None:
    server = await http_fake([CYCLE_2])
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "system", "content": "x"}],
    }
    headers = {"x-api-key": "test-key", "anthropic-version": "2026-10-21"}
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{server.base_url('anthropic')}/messages", json=body, headers=headers
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


async def test_consumer_may_stop_reading_early(
    http_fake: Any, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([CYCLE_1, CYCLE_1], chunk=2)
    provider = http_fake_provider(server, "anthropic")
    async with aclosing(provider.stream(START)) as items:  # type: ignore[type-var]
        async for item in items:
            if isinstance(item, TextDelta):
                break
    text, _ = await collect(provider, START)
    assert text == CYCLE_1.split("§execute")[0]
