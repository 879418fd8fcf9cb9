"""Shared helpers for agent tests: a counting custom tool and event collectors."""

from __future__ import annotations

from typing import Any

from silcrow.agent import Agent
from silcrow.protocol.events import Event
from silcrow.tools.base import Tool, ToolResult


class CountingTool(Tool):
    """A custom tool in the seed's style, counting its runs."""

    name = "query_db"
    description = "Execute SQL queries"
    args = {"sql": {"type": "string"}}
    category = "edit"
    idempotent = False

    def __init__(self) -> None:
        self.runs: list[str] = []

    async def execute(self, sql: str) -> ToolResult:
        self.runs.append(sql)
        return ToolResult(outcome="Query executed", content=f"rows for {sql}")


async def collect(agent: Agent, query: str, **kw: Any) -> list[Event]:
    return [ev async for ev in agent(query, **kw)]


def text_of(events: list[Event], kind: str) -> str:
    return "".join(e.content for e in events if e.type == kind)
