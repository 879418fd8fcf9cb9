"""Cogency 3.2.0's argument names for the built-in tools, turned into Silcrow's.

A model prompted the Cogency way (or a Cogency user's own code) writes
Cogency's argument names; the built-ins take them with Cogency's meaning.
The model is still shown Silcrow's own names only (``describe_tools``), and
each tool's search logic never sees an alias: this module rewrites the call
before the tool runs (the executor calls ``translate``), so the permission
question shows what will really run.

Algorithm (``translate(tools, tool, args)``):
1. Only a Silcrow built-in takes aliases (a custom tool named ``read`` gets
   its arguments untouched), and only names the tool does not have itself.
2. Per alias (names as in cogency 3.2.0's tool schemas):
   - read ``lines`` (a count): ``end = start + lines - 1``; ``start`` keeps
     Silcrow's 1-based meaning (default 1).
   - write ``overwrite``: ``false`` refuses a file that exists, ``true``
     replaces it (Silcrow's write always replaces).
   - list ``pattern`` (a file-name glob): the call becomes ``find`` with that
     glob under ``path`` (matching files at every level).
   - find ``content`` (case-insensitive text): ``text`` as a case-insensitive
     literal (``regex`` with the text escaped and ``(?i)``).
   - shell ``cwd``: confined to the workspace like any path; the command
     becomes ``cd <cwd> && <command>``.
3. A misuse (an alias beside the name it stands for, a wrong type, a
   ``cwd`` outside the workspace) is a ``ToolError`` saying what to write.
"""

from __future__ import annotations

import importlib
import shlex
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from silcrow.tools.base import Tool, ToolError

if TYPE_CHECKING:
    from silcrow.tools.builtin.find import FindTool
    from silcrow.tools.builtin.list_files import ListTool
    from silcrow.tools.builtin.read import ReadTool
    from silcrow.tools.builtin.shell import ShellTool
    from silcrow.tools.builtin.write import WriteTool

Args = dict[str, Any]
Rewrite = Callable[[Mapping[str, Tool], Any, Args], tuple[Tool, Args]]

REGEX_SPECIALS = frozenset("\\.^$|?*+()[]{}")


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ToolError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _alone(args: Args, alias: str, *names: str) -> None:
    clash = [name for name in names if name in args]
    if clash:
        raise ToolError(f"give {alias} or {' / '.join(clash)}, not both")


def _read(tools: Mapping[str, Tool], tool: ReadTool, args: Args) -> tuple[Tool, Args]:
    _alone(args, "lines", "end")
    count = _whole(args.pop("lines"), "lines")
    if count < 1:
        raise ToolError(f"lines is how many lines to read and must be at least 1, got {count}")
    start = _whole(args.get("start", 1), "start")
    return tool, {**args, "start": start, "end": start + count - 1}


def _write(tools: Mapping[str, Tool], tool: WriteTool, args: Args) -> tuple[Tool, Args]:
    overwrite = args.pop("overwrite")
    if not isinstance(overwrite, bool):
        raise ToolError(f"overwrite must be true or false, got {overwrite!r}")
    file = args.get("file")
    if not overwrite and isinstance(file, str) and tool.workspace.resolve(file).exists():
        raise ToolError(
            f"{file} already exists; give overwrite=true to replace it, or choose another name"
        )
    return tool, args


def _list(tools: Mapping[str, Tool], tool: ListTool, args: Args) -> tuple[Tool, Args]:
    _alone(args, "pattern", "depth")
    find = tools.get("find")
    if find is None or not _builtin(find, "find"):
        raise ToolError("list with pattern needs the find tool, which this agent does not have")
    return find, {"pattern": args.pop("pattern"), **args}


def _find(tools: Mapping[str, Tool], tool: FindTool, args: Args) -> tuple[Tool, Args]:
    _alone(args, "content", "text", "regex")
    content = args.pop("content")
    if not isinstance(content, str) or not content:
        raise ToolError("content is the text to look for inside files; give a non-empty string")
    escaped = "".join("\\" + ch if ch in REGEX_SPECIALS else ch for ch in content)
    return tool, {**args, "text": f"(?i){escaped}", "regex": True}


def _shell(tools: Mapping[str, Tool], tool: ShellTool, args: Args) -> tuple[Tool, Args]:
    cwd = args.pop("cwd")
    if cwd is None or cwd == "":
        return tool, args
    if not isinstance(cwd, str):
        raise ToolError(f"cwd must be a folder path, got {cwd!r}")
    real = tool.workspace.resolve(cwd)  # ToolError outside the workspace
    if not real.is_dir():
        raise ToolError(f"cwd {cwd!r} is not a folder in the workspace")
    from silcrow.tools.paths import relative

    rel = relative(tool.workspace.root, real)
    command = args.get("command")
    if rel != "." and isinstance(command, str):
        args["command"] = f"cd {shlex.quote(rel)} && {command}"
    return tool, args


# tool name -> (its Cogency alias, the rewrite, the built-in's module and class)
ALIASES: dict[str, tuple[str, Rewrite, str, str]] = {
    "read": ("lines", _read, "read", "ReadTool"),
    "write": ("overwrite", _write, "write", "WriteTool"),
    "list": ("pattern", _list, "list_files", "ListTool"),
    "find": ("content", _find, "find", "FindTool"),
    "shell": ("cwd", _shell, "shell", "ShellTool"),
}


def _builtin(tool: Tool, name: str) -> bool:
    """Is ``tool`` Silcrow's own built-in ``name`` (imported only when an alias is used)?"""
    _, _, module, cls = ALIASES[name]
    return type(tool) is getattr(importlib.import_module(f"silcrow.tools.builtin.{module}"), cls)


def translate(tools: Mapping[str, Tool], tool: Tool, args: Mapping[str, Any]) -> tuple[Tool, Args]:
    """The tool and arguments to run for a call that may use Cogency's names (see above)."""
    found = ALIASES.get(tool.name)
    if found is None or found[0] not in args or not _builtin(tool, tool.name):
        return tool, dict(args)
    return found[1](tools, tool, dict(args))
