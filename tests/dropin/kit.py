"""What the drop-in tests share: the model's calls, result events, two Cogency-shaped tools."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from silcrow import (
    Event,
    Tool,
    ToolResult,
)

Run = Callable[..., Any]  # the ``run`` fixture: one scripted turn -> (events, agent)
END = "§respond: done\n§end"


def call(name: str, **args: Any) -> str:
    return f"§call: {json.dumps({'name': name, 'args': args})}\n§execute"


def results(events: list[Event]) -> list[Event]:
    return [e for e in events if e["type"] == "result"]


class Lookup(Tool):
    """Cogency's shape: schema (with Cogency's "optional"), execute naming what the agent passes."""

    name = "lookup"
    description = "Look a key up"
    schema = {"key": {"type": "string"}, "limit": {"type": "integer", "optional": True}}

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def execute(
        self,
        key: str,
        limit: int = 1,
        user_id: str | None = None,
        sandbox_dir: str = "",
        access: str = "",
    ) -> ToolResult:
        self.seen.append(
            {"key": key, "user_id": user_id, "sandbox_dir": sandbox_dir, "access": access}
        )
        return ToolResult(outcome=f"looked up {key}", content=key)


class Peek(Tool):
    name = "peek"
    description = "Read-only peek"
    read_only = True

    async def execute(self, what: str) -> ToolResult:
        return ToolResult(outcome=f"peeked {what}")
