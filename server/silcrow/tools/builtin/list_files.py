"""``list``: the files and folders under a path, ``.gitignore`` respected.

Algorithm:
1. Confine the path; it must be a directory.
2. Walk ``depth`` levels (default 2) with ``silcrow.tools.walk`` (``.git``
   skipped, ignored entries hidden, symlinked folders not entered).
3. Show at most ``max_entries`` lines (folders end in ``/``, files carry a
   size); say how many more entries exist instead of showing them. A name
   that is not UTF-8 is shown with its odd bytes escaped (``bad\\xff.txt``).
   A ``.gitignore`` the walk could not apply is named in a last note.
4. The walk runs in a worker thread under the call's deadline, so the event
   loop keeps answering while a large tree is listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from silcrow.tools.base import ToolError, ToolResult, Workspace
from silcrow.tools.builtin._base import BuiltinTool, arg_schema
from silcrow.tools.deadline import off_loop
from silcrow.tools.paths import relative
from silcrow.tools.text import human_size
from silcrow.tools.walk import Entry, GitIgnore, shown, walk

DEFAULT_MAX_ENTRIES = 400


def _line(entry: Entry) -> str:
    name = shown(entry.rel)
    if entry.is_link:
        return f"{name} (symlink)"
    return f"{name}/" if entry.is_dir else f"{name} ({human_size(entry.size)})"


class ListTool(BuiltinTool):
    name = "list"
    description = (
        "List files and folders under a path in the workspace (default: the root), "
        "honouring .gitignore. depth says how many folder levels to descend (default 2)."
    )
    args: ClassVar = arg_schema(
        {
            "path": {
                "type": "string",
                "description": "folder relative to the workspace root",
                "default": ".",
            },
            "depth": {"type": "integer", "description": "folder levels to descend", "default": 2},
        },
        [],
    )
    category = "read"
    idempotent = True
    read_only = True

    def __init__(self, workspace: Workspace, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.workspace = workspace
        self.max_entries = max_entries

    async def run(self, path: str = ".", depth: int = 2) -> ToolResult:
        if depth < 1:
            raise ToolError("depth must be at least 1")
        start = self.workspace.resolve(path)
        return await off_loop(self._list, path, start, depth)

    def _list(self, path: str, start: Path, depth: int) -> ToolResult:
        root = self.workspace.root
        if not start.is_dir():
            what = "does not exist" if not start.exists() else "is a file (use read)"
            raise ToolError(f"{path} {what}; list takes a folder")
        lines: list[str] = []
        total = 0
        ignore = GitIgnore(root)
        for entry in walk(root, start, depth=depth, ignore=ignore):
            total += 1
            if len(lines) < self.max_entries:
                lines.append(_line(entry))
        rel = shown(relative(root, start))
        if total > len(lines):
            lines.append(
                f"[{total - len(lines)} more entries not shown; list a subfolder or lower depth]"
            )
        lines.extend(f"[note: {note}]" for note in ignore.notes)
        body = "\n".join(lines) if lines else "(empty)"
        return ToolResult(f"Listed {rel} ({total} entries)", body)
