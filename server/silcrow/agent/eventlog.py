"""``EventLog``: what the agent needs from the store (turns and profiles), as a Protocol.

It is the library's public ``silcrow.Storage``: a user's own storage class
implements these methods (``silcrow.store.EventStore`` is the reference
implementation, and docs/cogency.md lists what each must do).

The agent layer never imports ``silcrow.store``; anything with these
methods (``silcrow.store.EventStore`` in the product, an in-memory double
in a test) can back an ``Agent``. Every method is the store's own: appends
are atomic and number the events (``seq``, ``timestamp``) before returning
them; reads return events in seq order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from silcrow.protocol.events import Event


class Conversation(Protocol):
    @property
    def id(self) -> str: ...


@runtime_checkable
class EventLog(Protocol):
    async def create_conversation(
        self,
        *,
        workspace: str = "",
        user_id: str = "",
        title: str = "",
        conversation_id: str | None = None,
    ) -> Conversation: ...

    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...

    async def append(self, event: Event) -> Event: ...

    async def append_many(self, events: Sequence[Event]) -> list[Event]: ...

    async def events(
        self, conversation_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[Event]: ...

    async def last_seq(self, conversation_id: str) -> int: ...

    async def count_events(
        self,
        conversation_id: str | None = None,
        *,
        type: str | None = None,
        user_id: str | None = None,
    ) -> int: ...

    async def list_conversations(
        self, *, workspace: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> Sequence[Conversation]: ...

    async def get_profile(self, user_id: str) -> dict[str, Any] | None: ...

    async def set_profile(self, user_id: str, profile: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...
