"""``search``: web search through a configurable engine (``silcrow.tools.web``)."""

from __future__ import annotations

from typing import ClassVar

from silcrow.tools.base import ToolError, ToolResult
from silcrow.tools.builtin._base import BuiltinTool, arg_schema
from silcrow.tools.web import SearchEngine, WebHit


def format_hits(hits: list[WebHit]) -> str:
    return "\n\n".join(
        f"{i}. {hit.title}\n   {hit.url}\n   {' '.join(hit.snippet.split())}"
        for i, hit in enumerate(hits, 1)
    )


class SearchTool(BuiltinTool):
    name = "search"
    description = (
        "Search the web. Returns titles, addresses and snippets; use scrape to read a page."
    )
    args: ClassVar = arg_schema(
        {
            "query": {"type": "string", "description": "what to search for"},
            "limit": {"type": "integer", "description": "how many results (at most 20)"},
        },
        ["query"],
    )
    category = "network"
    idempotent = True
    read_only = True

    def __init__(self, engine: SearchEngine, *, default_limit: int = 8) -> None:
        self.engine = engine
        self.default_limit = default_limit

    async def run(self, query: str, limit: int | None = None) -> ToolResult:
        if not query.strip():
            raise ToolError("query is empty; say what to search for")
        count = max(1, min(limit or self.default_limit, 20))
        hits = await self.engine.search(query, limit=count)
        if not hits:
            return ToolResult(f"No results for {query!r}", "no results; try other words")
        return ToolResult(f"{len(hits)} results for {query!r}", format_hits(hits))
