"""``write``: create or replace a whole file (parents created inside the workspace).

The workspace refuses paths outside the root, under ``.git``, the daemon's
store files and protected paths; the write is atomic and durable before the
result is returned.
"""

from __future__ import annotations

from typing import ClassVar

from silcrow.tools.base import ToolResult, Workspace
from silcrow.tools.builtin._base import BuiltinTool, arg_schema
from silcrow.tools.paths import relative


class WriteTool(BuiltinTool):
    name = "write"
    description = (
        "Create a file or replace its whole content. Parent folders are created. "
        "To change part of an existing file use edit."
    )
    args: ClassVar = arg_schema(
        {
            "file": {"type": "string", "description": "path relative to the workspace root"},
            "content": {"type": "string", "description": "the complete new text of the file"},
        },
        ["file", "content"],
    )
    category = "edit"
    idempotent = True

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    async def run(self, file: str, content: str) -> ToolResult:
        real = self.workspace.resolve(file)
        await self.workspace.write_text(file, content)
        lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
        rel = relative(self.workspace.root, real)
        return ToolResult(
            f"Wrote {rel} ({lines} lines)",
            f"Wrote {rel}: {lines} lines, {len(content)} characters.",
        )
