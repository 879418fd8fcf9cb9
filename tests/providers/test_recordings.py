"""Real recorded vendor streams replayed through the adapters, judged by the SDKs.

Every chat exchange in ``recordings/`` is served to the adapter through an
in-memory transport, cut into random chunks (seeded, several chunkings per
recording, cuts falling anywhere, inside UTF-8 characters and SSE lines
too). What the adapter yields must equal what the vendor's own SDK makes of
the same bytes (``sdk_oracle``): the answer text (reasoning never in it),
the vendor's stop value (and its mapped ``StopReason``), the usage
(cached and cache-write tokens included) and, for a failed exchange, an
error of the class that status means, quoting the vendor's message.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator

import httpx
import pytest

from providers.recorded import Recording, load_recordings
from providers.sdk_oracle import SdkView, sdk_view
from silcrow.providers.anthropic import STOP_REASONS
from silcrow.providers.base import (
    AuthError,
    Message,
    Provider,
    ProviderError,
    RateLimited,
    Stop,
    StopReason,
    TextDelta,
    Usage,
)
from silcrow.providers.gemini import FINISH_REASONS as GEMINI_REASONS
from silcrow.providers.openai_chat import FINISH_REASONS as CHAT_REASONS
from silcrow.providers.registry import make_provider

RECORDINGS = load_recordings()
CHUNKINGS = 6
PROMPT = [Message("user", "What is the capital of France?")]
REASONS: dict[str, dict[str, StopReason]] = {
    "openai": CHAT_REASONS,
    "anthropic": STOP_REASONS,
    "gemini": GEMINI_REASONS,
}
ERRORS: dict[str, type[ProviderError]] = {
    "RateLimitError": RateLimited,
    "AuthenticationError": AuthError,
    "PermissionDeniedError": AuthError,
}


def chunkings(body: bytes, seed: str) -> list[list[bytes]]:
    """The whole body, then random cuts: a few large pieces up to many small ones."""
    rng = random.Random(seed)
    out = [[body]]
    for _ in range(CHUNKINGS - 1):
        k = rng.randint(1, max(1, min(len(body) - 1, 300)))
        cuts = sorted(rng.sample(range(1, len(body)), k)) if len(body) > 1 else []
        bounds = [0, *cuts, len(body)]
        out.append([body[a:b] for a, b in itertools.pairwise(bounds)])
    return out


def provider_for(rec: Recording, pieces: list[bytes]) -> Provider:
    async def stream() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": rec.headers.get("content-type", "application/json")}
        return httpx.Response(rec.status, headers=headers, content=stream())

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    common = {"model": rec.model, "api_key": "recorded-key", "http_client": client}
    if rec.family == "openai" and rec.host != "api.openai.com":
        return make_provider(f"https://{rec.host}/v1", max_retries=0, **common)
    return make_provider(rec.family, base_url=f"https://{rec.host}/v1", max_retries=0, **common)


async def replay(rec: Recording, pieces: list[bytes]) -> tuple[SdkView, ProviderError | None]:
    """What the adapter made of the recording, in the oracle's terms (+ its error)."""
    provider = provider_for(rec, pieces)
    text, stops, usages = "", [], []
    try:
        async for item in provider.stream(PROMPT):
            match item:
                case TextDelta():
                    text += item.text
                case Stop():
                    stops.append(item)
                case Usage():
                    usages.append(item)
    except ProviderError as err:
        return SdkView(text=text), err
    finally:
        await provider.aclose()
    assert len(stops) <= 1 and len(usages) == 1, (stops, usages)
    stop = stops[0] if stops else None
    if stop is not None:  # the mapped reason is the one the vendor's table gives
        table = REASONS[rec.family]
        assert stop.reason is table.get(stop.vendor_reason.upper(), table.get(stop.vendor_reason))
    tokens = Usage(
        input_tokens=usages[0].input_tokens,
        cached_tokens=usages[0].cached_tokens,
        cache_write_tokens=usages[0].cache_write_tokens,
        output_tokens=usages[0].output_tokens,
    )
    vendor_stop = stop.vendor_reason if stop else None
    return SdkView(text, vendor_stop, None if tokens == Usage() else tokens), None


@pytest.mark.parametrize("rec", RECORDINGS, ids=[r.name for r in RECORDINGS])
async def test_adapter_decodes_the_recording_as_the_vendor_sdk_does(rec: Recording) -> None:
    expected = sdk_view(rec)
    for i, pieces in enumerate(chunkings(rec.body, rec.name)):
        got, error = await replay(rec, pieces)
        where = f"chunking {i} ({len(pieces)} pieces)"
        if expected.error is None:
            assert error is None, f"{where}: {error}"
            assert got == expected, where
            continue
        assert error is not None, f"{where}: the SDK raised {expected.error}, the adapter did not"
        assert isinstance(error, ERRORS.get(expected.error, ProviderError)), where
        assert expected.message in str(error), where
        assert got.text == expected.text, where


def test_the_recordings_cover_every_vendor_family_and_the_cases_that_matter() -> None:
    views = [(rec, sdk_view(rec)) for rec in RECORDINGS]
    assert {rec.family for rec in RECORDINGS} == {"openai", "anthropic", "gemini"}
    assert any(v.usage and v.usage.cached_tokens for _, v in views)
    assert any(v.error == "RateLimitError" for _, v in views)
    assert any(v.error and v.status is None for _, v in views)  # an error inside a stream
    assert any(b'"reasoning_content"' in rec.body for rec, _ in views)
    assert any(b'"type":"thinking"' in rec.body for rec, _ in views if rec.family == "openai")
    assert any(b"thinking_delta" in rec.body for rec, _ in views)
    assert any(b'"thought": true' in rec.body for rec, _ in views)
    assert {v.stop for _, v in views} >= {"stop", "tool_calls", "length", "end_turn", "STOP"}
