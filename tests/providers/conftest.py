"""Fixtures for the loopback HTTP fakes (``http_fake...``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from fakes.http_server import FakeHTTPServer
from silcrow.providers.base import Provider
from silcrow.providers.registry import make_provider
from silcrow.testing import Script

HTTP_FAKE_KEY = "test-key"
# Retry waits small enough to keep tests fast but non-zero, so backoff runs.
HTTP_FAKE_RETRY = {"retry_base_delay": 0.001, "retry_max_delay": 0.004}


@pytest.fixture
async def http_fake() -> AsyncIterator[Callable[..., Awaitable[FakeHTTPServer]]]:
    """Start a fake server: ``server = await http_fake(["reply 1", "reply 2"], chunk=3)``."""
    servers: list[FakeHTTPServer] = []

    async def start(
        replies: Sequence[str] = (), *, chunk: int = 4, delay: float = 0.0, **options: Any
    ) -> FakeHTTPServer:
        server = FakeHTTPServer(Script.of(replies, chunk=chunk, delay=delay), **options)
        servers.append(await server.start())
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def http_fake_provider() -> AsyncIterator[Callable[..., Provider]]:
    """A provider pointed at a fake: ``http_fake_provider(server, "anthropic")``."""
    providers: list[Provider] = []

    def make(server: FakeHTTPServer, vendor: str, **overrides: Any) -> Provider:
        name = server.base_url("openai") if vendor == "openai-compatible" else vendor
        overrides.setdefault("extra", dict(HTTP_FAKE_RETRY))
        if vendor == "openai":
            overrides.setdefault("model", "gpt-4.1-mini")  # takes stop, unlike reasoning models
        if vendor != "openai-compatible":
            overrides.setdefault("api_key", HTTP_FAKE_KEY)
            overrides["base_url"] = server.base_url(vendor)
        else:
            overrides.setdefault("model", "local-model")
        provider = make_provider(name, **overrides)
        providers.append(provider)
        return provider

    yield make
    for provider in providers:
        await provider.aclose()
