"""``list``: the files and folders under a path, ``.gitignore`` respected.

Algorithm:
1. Confine the path; it must be a directory.
2. Take ``depth`` levels (default 2) from the workspace's file index
   (``silcrow.tools.fileindex``) when it holds them, else walk them with
   ``silcrow.tools.walk``; both skip ``.git``, hide ignored entries and do
   not enter symlinked folders, and both list the same entries in the same
   order.
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
from silcrow.tools.fileindex import Node
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.paths import relative
from silcrow.tools.text import human_size
from silcrow.tools.walk import GitIgnore, shown, walk

DEFAULT_MAX_ENTRIES = 400


def _line(rel: str, node: Node) -> str:
    name = shown(rel)
    if node.is_link:
        return f"{name} (symlink)"
    return f"{name}/" if node.is_dir else f"{name} ({human_size(node.size)})"


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
        rel = relative(root, start)
        index = self.workspace.index if isinstance(self.workspace, LocalWorkspace) else None
        listed = index.listing("" if rel == "." else rel, depth) if index is not None else None
        if listed is not None and index is not None:
            notes = index.notes()
        else:
            ignore = GitIgnore(root)
            listed = [
                (e.rel, Node(e.path.name, e.is_dir, e.is_link, e.size))
                for e in walk(root, start, depth=depth, ignore=ignore)
            ]
            partial = [index.notice] if index is not None and index.notice else []
            notes = partial + ignore.notes
        total = len(listed)
        lines = [_line(name, node) for name, node in listed[: self.max_entries]]
        rel = shown(rel)
        if total > len(lines):
            lines.append(
                f"[{total - len(lines)} more entries not shown; list a subfolder or lower depth]"
            )
        lines.extend(f"[note: {note}]" for note in notes)
        body = "\n".join(lines) if lines else "(empty)"
        return ToolResult(f"Listed {rel} ({total} entries)", body)
