"""A custom Python tool as a user would write one, named in settings as
``mcptools.custom_tool:Greeter``."""

from __future__ import annotations

from typing import Any, ClassVar

from silcrow.tools.base import Tool, ToolResult


class Greeter(Tool):
    name: ClassVar[str] = "greet"
    description: ClassVar[str] = "Greet someone by name."
    args: ClassVar[dict[str, Any]] = {"who": {"type": "string"}}
    read_only: ClassVar[bool] = True

    async def execute(self, **kwargs: Any) -> ToolResult:
        return ToolResult(f"Greeted {kwargs['who']}", f"hello {kwargs['who']}")
