"""Fixtures for the live WebSocket transports against the loopback fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from fakes.ws_server import FakeWSServer, Faults
from silcrow.testing import Script


@pytest.fixture
async def ws_fake() -> AsyncIterator[Callable[..., Awaitable[FakeWSServer]]]:
    """Start a fake: ``server = await ws_fake([reply, ...], chunk=4, delay=0.0)``."""
    servers: list[FakeWSServer] = []

    async def start(
        replies: Sequence[str] = (),
        *,
        chunk: int = 4,
        delay: float = 0.0,
        faults: Faults | None = None,
        **options: Any,
    ) -> FakeWSServer:
        server = FakeWSServer(
            Script.of(replies, chunk=chunk, delay=delay), faults=faults, **options
        )
        servers.append(await server.__aenter__())
        return server

    yield start
    for server in servers:
        await server.__aexit__(None, None, None)
