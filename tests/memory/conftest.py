"""Fixtures for memory tests: a real on-disk store and a tiny scripted provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from silcrow.protocol.events import Event
from silcrow.protocol.messages import Message
from silcrow.providers.base import Capabilities, StreamItem, TextDelta, Usage
from silcrow.store import EventStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventStore]:
    opened = await EventStore.open(tmp_path / "memory.db")
    try:
        yield opened
    finally:
        await opened.close()


class ScriptedProvider:
    """Replies in order; records every request; an Exception in the list is raised."""

    name = "scripted"
    model = "fake"
    capabilities = Capabilities()

    def __init__(self, replies: Sequence[str | Exception]) -> None:
        self.replies = list(replies)
        self.requests: list[list[Message]] = []

    async def stream(
        self, messages: Sequence[Message], *, stop: Sequence[str] = ()
    ) -> AsyncIterator[StreamItem]:
        self.requests.append(list(messages))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        for i in range(0, len(reply), 7):
            yield TextDelta(text=reply[i : i + 7])
        yield Usage(input_tokens=1, output_tokens=1)

    async def open(self, messages: Sequence[Message]) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


async def add_turn(store: EventStore, conv: str, turn: str, user: str, respond: str = "ok") -> None:
    await store.append(Event("user", user, conversation_id=conv, turn_id=turn))
    await store.append(Event("respond", respond, conversation_id=conv, turn_id=turn))
    await store.append(Event("end", conversation_id=conv, turn_id=turn))


@pytest.fixture
def scripted() -> type[ScriptedProvider]:
    return ScriptedProvider


@pytest.fixture
def turn_adder():  # type: ignore[no-untyped-def]
    return add_turn
