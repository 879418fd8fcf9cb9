"""Names the Cogency 3.2.0 README uses without defining them.

``Agent`` (its Execution Modes examples come before the Usage example that
imports it) and the Configuration example's ``custom_storage`` and
``CustomTool``.
"""

from dropin.memory_storage import MemoryStorage
from silcrow import Agent, Tool, ToolResult

__all__ = ["Agent", "CustomTool", "custom_storage"]

custom_storage = MemoryStorage()


class CustomTool(Tool):
    name = "custom"
    description = "A tool of the reader's own"

    async def execute(self, text: str = "") -> ToolResult:
        return ToolResult(outcome="custom ran", content=text)
