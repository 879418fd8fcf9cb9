"""``read``: a text file, whole or by line range, with line numbers.

Algorithm:
1. The workspace applies confinement and the secret-name rule and reads only
   regular files (a FIFO, device or directory is refused without blocking).
2. A binary file yields its size and a type guess, never its bytes.
3. Without a range, a file over ``limit`` characters is refused with its size
   and line count so the model can ask for a range instead.
4. Lines are numbered from 1; ``end`` is inclusive; a range past the end is
   clipped and says so.
"""

from __future__ import annotations

from typing import ClassVar

from silcrow.tools.base import ToolError, ToolResult, Workspace
from silcrow.tools.builtin._base import BuiltinTool, arg_schema
from silcrow.tools.local import BinaryFile
from silcrow.tools.text import cap_text, human_size

DEFAULT_READ_LIMIT = 60_000


def numbered(lines: list[str], first: int) -> str:
    return "".join(f"{first + i:>6}\t{line}" for i, line in enumerate(lines))


class ReadTool(BuiltinTool):
    name = "read"
    description = (
        "Read a text file in the workspace. Lines come numbered from 1. "
        "For a large file give start and end (inclusive line numbers)."
    )
    args: ClassVar = arg_schema(
        {
            "file": {"type": "string", "description": "path relative to the workspace root"},
            "start": {"type": "integer", "description": "first line to show (1-based)"},
            "end": {"type": "integer", "description": "last line to show (inclusive)"},
        },
        ["file"],
    )
    category = "read"
    idempotent = True
    read_only = True

    def __init__(self, workspace: Workspace, *, limit: int = DEFAULT_READ_LIMIT) -> None:
        self.workspace = workspace
        self.limit = limit
        self.content_limit = limit + 2_000

    async def run(self, file: str, start: int | None = None, end: int | None = None) -> ToolResult:
        try:
            text = await self.workspace.read_text(file)
        except BinaryFile as binary:
            return ToolResult(f"{file}: binary, {binary.kind}", str(binary))
        lines = text.splitlines(keepends=True)
        if start is None and end is None:
            if len(text) > self.limit:
                raise ToolError(
                    f"{file} is {human_size(len(text.encode()))} ({len(lines)} lines), too large to read "
                    f"whole; read a range, e.g. start=1 end=200, or use find to locate text"
                )
            return ToolResult(f"Read {file} ({len(lines)} lines)", numbered(lines, 1))
        return self._range(file, lines, start or 1, end or len(lines))

    def _range(self, file: str, lines: list[str], start: int, end: int) -> ToolResult:
        if start > len(lines):
            raise ToolError(f"{file} has only {len(lines)} lines; start={start} is past the end")
        if start < 1 or end < start:
            raise ToolError(f"bad range start={start} end={end}: need 1 <= start <= end")
        clipped = min(end, len(lines))
        body, cut = cap_text(numbered(lines[start - 1 : clipped], start), self.limit)
        note = f" (file ends at line {len(lines)})" if end > len(lines) else ""
        if cut:
            note += "; output capped, read a smaller range"
        return ToolResult(f"Read {file} lines {start}-{clipped}{note}", body)
