"""How a Silcrow tool call looks in an ACP client: kind, title, locations. Pure.

``kind_of(name)`` maps the built-in tools onto ACP's tool kinds (``read``,
``edit``, ``search``, ``execute``, ``fetch``; anything else, such as an MCP
tool, is ``other``). ``title_of(name, args)`` is one line a person can read
("Read src/app.py", "Run `pytest -q`"), with hidden characters escaped.
``locations_of(root, name, args)`` gives the absolute paths (and the first
line, for a ranged read) the call touches, so clients can follow along;
a path outside the root is not reported (the workspace refuses it anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acp.schema import ToolCallLocation, ToolKind

from silcrow.tools.policy import one_line

KINDS: dict[str, ToolKind] = {
    "read": "read",
    "list": "read",
    "find": "search",
    "recall": "search",
    "search": "fetch",
    "scrape": "fetch",
    "edit": "edit",
    "write": "edit",
    "shell": "execute",
}
PATH_ARGS: dict[str, str] = {"read": "file", "edit": "file", "write": "file", "list": "path"}
PATH_ARGS_OPTIONAL = {"find": "path"}


def kind_of(name: str) -> ToolKind:
    return KINDS.get(name, "other")


def title_of(name: str, args: Mapping[str, Any]) -> str:
    """A one-line title for the call."""
    match name:
        case "read":
            return one_line(f"Read {args.get('file', '')}{_lines(args)}")
        case "list":
            return one_line(f"List {args.get('path') or '.'}")
        case "find":
            what = args.get("text") or args.get("regex") or args.get("pattern") or ""
            return one_line(f"Find {what} in {args.get('path') or '.'}")
        case "edit" | "write":
            return one_line(f"{name.title()} {args.get('file', '')}")
        case "shell":
            return "Run `" + one_line(str(args.get("command", "")), 200) + "`"
        case "scrape":
            return one_line(f"Fetch {args.get('url', '')}")
        case "search":
            return one_line(f"Search the web for {args.get('query', '')}")
        case "recall":
            return one_line(f"Recall {args.get('query', '')}")
    return one_line(name or "tool call")


def _lines(args: Mapping[str, Any]) -> str:
    start, end = args.get("start"), args.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return f" (lines {start}-{end})"
    if isinstance(end, int):
        return f" (lines 1-{end})"
    return ""


def path_of(root: Path, name: str, args: Mapping[str, Any]) -> Path | None:
    """The absolute path the call names, if it names one inside ``root``."""
    key = PATH_ARGS.get(name) or PATH_ARGS_OPTIONAL.get(name)
    raw = args.get(key) if key else None
    if key is None or (raw is None and name not in PATH_ARGS_OPTIONAL and name != "list"):
        return None
    candidate = (root / str(raw or ".")).resolve()
    return candidate if candidate.is_relative_to(root) else None


def locations_of(root: Path, name: str, args: Mapping[str, Any]) -> list[ToolCallLocation]:
    path = path_of(root, name, args)
    if path is None:
        return []
    start = args.get("start")
    line = start if name == "read" and isinstance(start, int) and start > 0 else None
    return [ToolCallLocation(path=str(path), line=line)]
