"""A user's own ``silcrow.Storage``: every method of the protocol, in memory.

It is what docs/cogency.md tells a Cogency user to write when they had a
custom ``Storage``; the README fixtures use it as ``custom_storage``, so
the protocol is checked by something other than the in-tree SQLite store.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from silcrow import Event


@dataclass(frozen=True)
class Conversation:
    id: str
    user_id: str


class MemoryStorage:
    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.log: dict[str, list[Event]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}

    async def create_conversation(
        self,
        *,
        workspace: str = "",
        user_id: str = "",
        title: str = "",
        conversation_id: str | None = None,
    ) -> Conversation:
        conv = Conversation(conversation_id or uuid.uuid4().hex, user_id)
        if conv.id in self.conversations:
            raise ValueError(f"conversation {conv.id!r} already exists")
        self.conversations[conv.id] = conv
        self.log[conv.id] = []
        return conv

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return self.conversations.get(conversation_id)

    async def append(self, event: Event) -> Event:
        return (await self.append_many([event]))[0]

    async def append_many(self, events: Sequence[Event]) -> list[Event]:
        stored = []
        for event in events:
            log = self.log[event.conversation_id]  # KeyError: unknown conversation
            numbered = dataclasses.replace(
                event, seq=len(log) + 1, timestamp=event.timestamp or time.time()
            )
            log.append(numbered)
            stored.append(numbered)
        return stored

    async def events(
        self, conversation_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[Event]:
        found = [e for e in self.log.get(conversation_id, []) if e.seq > after_seq]
        return found if limit is None else found[:limit]

    async def last_seq(self, conversation_id: str) -> int:
        return len(self.log.get(conversation_id, []))

    async def count_events(
        self,
        conversation_id: str | None = None,
        *,
        type: str | None = None,
        user_id: str | None = None,
    ) -> int:
        return sum(
            1
            for conv, events in self.log.items()
            for e in events
            if conversation_id in (None, conv)
            and type in (None, e.type)
            and user_id in (None, self.conversations[conv].user_id)
        )

    async def list_conversations(
        self, *, workspace: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> list[Conversation]:
        return [c for c in self.conversations.values() if user_id in (None, c.user_id)][:limit]

    async def get_profile(self, user_id: str) -> dict[str, Any] | None:
        return self.profiles.get(user_id)

    async def set_profile(self, user_id: str, profile: dict[str, Any]) -> None:
        self.profiles[user_id] = profile

    async def close(self) -> None:
        pass
