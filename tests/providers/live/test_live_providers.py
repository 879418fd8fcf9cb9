"""The registry's providers open these live sessions (the lazy-import seam)."""

from __future__ import annotations

import pytest
from live_helpers import FINAL, HISTORY, OPENERS, read_all

from silcrow.providers.registry import make_provider


@pytest.mark.parametrize(
    ("vendor", "transport"),
    [("openai", "responses"), ("openai", "realtime"), ("gemini", "gemini-live")],
)
async def test_provider_open_returns_a_working_live_session(
    ws_fake, vendor: str, transport: str
) -> None:
    server = await ws_fake([FINAL])
    base = server.http_base if vendor == "openai" else server.http_base.removesuffix("/v1")
    provider = make_provider(
        vendor,
        model=OPENERS[transport][1],
        base_url=base,
        live_transport=transport,
        api_key="test-key",
    )
    assert provider.capabilities.resume
    session = await provider.open(HISTORY)
    text, usage = await read_all(session, "hi")
    assert text == FINAL and usage.output_tokens > 0
    assert [c.kind for c in server.conns] == [transport]
    await session.close()
    assert not session.alive
    await provider.aclose()
