"""The loopback HTTP fakes judged like the real recordings: by the vendors' SDKs.

A fake that disagrees with a real server is wrong. Each fake's answer to the
adapter's own request is captured as bytes and checked the same way
``test_recordings`` checks a real recording: the vendor SDK decodes it to
the text, stop value and usage the fake meant (its script and its ledger),
and the adapter decodes it to exactly what the SDK does. Faults (a 429, an
error inside the stream) must be errors of the same class to both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx
import pytest

from fakes.http_server import FakeHTTPServer
from providers.recorded import Family, Recording
from providers.sdk_oracle import sdk_view
from providers.test_recordings import ERRORS, replay
from silcrow.providers.base import Message, Provider, ProviderError, Usage
from silcrow.providers.http import HttpStreamingProvider

VENDORS: list[Family] = ["openai", "anthropic", "gemini"]
REPLY = "§think: é first\n§respond: Paris 🗼\n§end\n"
START = [Message("system", "You are Silcrow."), Message("user", "capital of France?")]
STOPS = {"openai": "stop", "anthropic": "end_turn", "gemini": "STOP"}

StartFake = Callable[..., Awaitable[FakeHTTPServer]]
MakeProvider = Callable[..., Provider]


async def captured(server: FakeHTTPServer, provider: Provider, family: Family) -> Recording:
    """POST the adapter's own request to the fake; keep the answer as a recording."""
    request = cast(HttpStreamingProvider, provider).build_request(START, ())
    async with httpx.AsyncClient() as client:
        response = await client.post(request.url, headers=request.headers, content=request.body)
    return Recording(
        name=f"fake-{family}",
        family=family,
        host=f"{server.host}:{server.port}",
        status=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        body=response.content,
        request={"model": provider.model},
    )


@pytest.mark.parametrize("family", VENDORS)
async def test_fake_reply_decodes_the_same_in_the_sdk_and_the_adapter(
    family: Family, http_fake: StartFake, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([REPLY], chunk=3)
    rec = await captured(server, http_fake_provider(server, family), family)
    bill = server.ledger.bills[-1]
    write = bill.input_tokens - bill.cached_tokens if family == "anthropic" else 0
    meant = Usage(
        input_tokens=bill.input_tokens,
        cached_tokens=bill.cached_tokens,
        cache_write_tokens=write,
        output_tokens=bill.output_tokens,
    )
    expected = sdk_view(rec)
    assert (expected.text, expected.stop, expected.usage) == (REPLY, STOPS[family], meant)
    got, error = await replay(rec, [rec.body[i : i + 7] for i in range(0, len(rec.body), 7)])
    assert error is None and got == expected


LENGTH_STOPS = {"openai": "length", "anthropic": "max_tokens", "gemini": "MAX_TOKENS"}


@pytest.mark.parametrize("family", VENDORS)
async def test_a_reply_cut_at_the_output_cap_is_a_length_stop_to_both(
    family: Family, http_fake: StartFake, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake([REPLY], chunk=3)
    rec = await captured(server, http_fake_provider(server, family, max_output_tokens=4), family)
    expected = sdk_view(rec)
    assert expected.stop == LENGTH_STOPS[family] and expected.text == "§think: é "  # 4 tokens
    assert expected.usage is not None and expected.usage.output_tokens == 4
    got, error = await replay(rec, [rec.body])
    assert error is None and got == expected


FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("rate_limited", {"status": 429}),
    ("error_in_stream", {"stream_error": True}),
]


@pytest.mark.parametrize("family", VENDORS)
@pytest.mark.parametrize(("name", "fault"), FAULTS, ids=[n for n, _ in FAULTS])
async def test_fake_faults_are_the_same_error_to_the_sdk_and_the_adapter(
    family: Family,
    name: str,
    fault: dict[str, Any],
    http_fake: StartFake,
    http_fake_provider: MakeProvider,
) -> None:
    server = await http_fake([REPLY], chunk=3)
    if "status" in fault:
        server.fail_next(fault["status"], message="slow down")
    else:
        server.error_mid_stream(1, message="it broke")
    rec = await captured(server, http_fake_provider(server, family), family)
    expected = sdk_view(rec)
    assert expected.error is not None, f"the SDK accepted the fake's {name}"
    got, error = await replay(rec, [rec.body])
    assert isinstance(error, ERRORS.get(expected.error, ProviderError))
    assert expected.message and expected.message in str(error)
    assert got.text == expected.text
