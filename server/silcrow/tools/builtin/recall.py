"""``recall``: search the user's past conversations (other than this one).

The store ranks matches (``EventStore.search``); this tool passes the caller's
user id and excludes the current conversation, both from ``ToolContext``, and
formats each hit as title, date and snippet.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Protocol, runtime_checkable

from silcrow.tools.base import ToolError, ToolResult, current_context
from silcrow.tools.builtin._base import BuiltinTool, arg_schema

DEFAULT_LIMIT = 5


@runtime_checkable
class RecallStore(Protocol):
    async def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        workspace: str | None = None,
        exclude_conversation: str | None = None,
        limit: int = 5,
    ) -> list[Any]: ...


def format_hit(hit: Any) -> str:
    day = time.strftime("%Y-%m-%d", time.localtime(hit.timestamp)) if hit.timestamp else "undated"
    title = hit.title or "untitled conversation"
    return f"[{title} - {day}] {' '.join(str(hit.snippet).split())}"


class RecallTool(BuiltinTool):
    name = "recall"
    description = "Search the user's earlier conversations for something discussed before."
    args: ClassVar = arg_schema(
        {"query": {"type": "string", "description": "words to look for"}}, ["query"]
    )
    category = "memory"
    idempotent = True
    read_only = True

    def __init__(self, store: RecallStore, *, limit: int = DEFAULT_LIMIT) -> None:
        self.store = store
        self.limit = limit

    async def run(self, query: str) -> ToolResult:
        if not query.strip():
            raise ToolError("query is empty; give words to look for in past conversations")
        ctx = current_context()
        hits = await self.store.search(
            query,
            user_id=ctx.user_id or None,
            exclude_conversation=ctx.conversation_id or None,
            limit=self.limit,
        )
        if not hits:
            return ToolResult(
                f"Nothing recalled for {query!r}", "no earlier conversation matches; ask the user"
            )
        return ToolResult(f"Recalled {len(hits)} for {query!r}", "\n".join(map(format_hit, hits)))
