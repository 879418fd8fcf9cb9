"""Shared helpers for the live transport tests and the figures script."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fakes.ws_server import FakeWSServer
from silcrow.providers.base import LiveSession, Message, Stop, TextDelta, Usage
from silcrow.providers.config import ProviderConfig
from silcrow.providers.gemini_live import open_gemini_live
from silcrow.providers.realtime import open_realtime
from silcrow.providers.responses_ws import open_responses_ws

EXECUTE = "§execute"
KEY_ENV = "SILCROW_TEST_KEY"

Opener = Callable[..., Awaitable[Any]]
OPENERS: dict[str, tuple[Opener, str]] = {
    "responses": (open_responses_ws, "gpt-5.1"),
    "realtime": (open_realtime, "gpt-realtime"),
    "gemini-live": (open_gemini_live, "gemini-3.8-live"),
}

SYSTEM = Message("system", "You are Silcrow. Use § delimiters.")
HISTORY = [
    SYSTEM,
    Message("user", "What does main.py print?"),
    Message("assistant", "§respond: It prints hello.\n§end\n"),
]


def call_reply(n: int) -> str:
    """A tool-cycle reply whose tail (after §execute) is invented by the model."""
    return (
        f'§think: step {n}\n§call: {{"name": "read", "args": {{"file": "f{n}.py"}}}}\n{EXECUTE}\n'
        f"§result: an invented result {n} that must never reach the history\n§respond: wrong\n§end\n"
    )


FINAL = "§respond: All done.\n§end\n"


def kept_of(reply: str) -> str:
    return reply[: reply.index(EXECUTE) + len(EXECUTE)]


def config(server: FakeWSServer, kind: str, **overrides: Any) -> ProviderConfig:
    fields: dict[str, Any] = {
        "name": "gemini" if kind == "gemini-live" else "openai",
        "model": OPENERS[kind][1],
        "base_url": server.http_base,
        "api_key": "test-key",
        "api_key_env": KEY_ENV,
        "live_transport": kind,
        "timeout": 5.0,
    }
    fields.update(overrides)
    return ProviderConfig(**fields)


async def open_session(
    server: FakeWSServer, kind: str, messages: Sequence[Message] = HISTORY, **overrides: Any
) -> Any:
    opener = OPENERS[kind][0]
    return await opener(config(server, kind, **overrides), list(messages))


async def read_reply(session: LiveSession, text: str) -> tuple[str, Stop, Usage]:
    """Send and read the whole reply; return (text, its Stop, its Usage)."""
    parts: list[str] = []
    ends: list[Stop | Usage] = []
    async for item in session.send(text):
        if isinstance(item, TextDelta):
            assert not ends, "no text after the end of a reply"
            parts.append(item.text)
        else:
            ends.append(item)
    assert [type(e) for e in ends] == [Stop, Usage], "a reply ends with one Stop, then one Usage"
    stop, usage = ends
    assert isinstance(stop, Stop) and isinstance(usage, Usage)
    return "".join(parts), stop, usage


async def read_all(session: LiveSession, text: str) -> tuple[str, Usage]:
    """Send and read the whole reply; return (text, its Usage)."""
    reply, _, usage = await read_reply(session, text)
    return reply, usage


async def read_to_execute(session: LiveSession, text: str, *, truncate: bool = True) -> str:
    """Read until §execute shows up, stop reading (as the agent does), truncate; return kept."""
    seen = ""
    stream = session.send(text)
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        async for item in stream:
            if isinstance(item, TextDelta):
                seen += item.text
                if EXECUTE in seen:
                    break
    assert EXECUTE in seen, f"reply ended without {EXECUTE}: {seen!r}"
    kept = kept_of(seen)
    if truncate:
        await session.truncate(kept)
    return kept
