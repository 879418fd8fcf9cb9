"""The built-in tool set bound to a workspace, and the tool list the model reads.

Algorithm:
1. ``ToolSettings`` holds every tunable of the built-ins with defaults, so a
   daemon setting maps to one field.
2. ``default_tools(workspace, store=..., settings=...)`` builds the built-ins
   in a fixed order; ``recall`` only when a store is given.
3. ``describe_tools(tools)`` renders name, category, description and
   arguments per tool in the given order, with argument lines in schema order;
   the same tools always give the same bytes (prompt caches depend on it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from silcrow.tools.base import Tool, Workspace
from silcrow.tools.builtin._base import BuiltinTool
from silcrow.tools.builtin.edit import EditTool
from silcrow.tools.builtin.find import FindTool
from silcrow.tools.builtin.list_files import DEFAULT_MAX_ENTRIES, ListTool
from silcrow.tools.builtin.read import DEFAULT_READ_LIMIT, ReadTool
from silcrow.tools.builtin.recall import RecallTool
from silcrow.tools.builtin.scrape import ScrapeTool
from silcrow.tools.builtin.search import SearchTool
from silcrow.tools.builtin.shell import ShellTool
from silcrow.tools.builtin.write import WriteTool
from silcrow.tools.custom import arg_spec
from silcrow.tools.schema import normalise
from silcrow.tools.web import make_engine


@dataclass(frozen=True, slots=True)
class ToolSettings:
    """Tunables of the built-in tools (all defaulted)."""

    search_engine: Literal["ddgs", "searxng"] = "ddgs"
    search_base_url: str = ""  # SearXNG-compatible endpoint, e.g. http://localhost:8888
    search_results: int = 8
    scrape_allow_private: bool = False
    scrape_max_bytes: int = 3 * 1024 * 1024
    scrape_timeout: float = 20.0
    read_limit: int = DEFAULT_READ_LIMIT
    list_max_entries: int = DEFAULT_MAX_ENTRIES
    find_max_results: int = 200
    find_max_file_bytes: int = 2 * 1024 * 1024
    result_limit: int = 40_000
    shell_default_timeout: float = 120.0
    shell_max_timeout: float = 600.0


def default_tools(
    workspace: Workspace, *, store: Any = None, settings: ToolSettings | None = None
) -> list[Tool]:
    """The built-in tools bound to ``workspace`` (``recall`` needs ``store``)."""
    s = settings or ToolSettings()
    tools: list[Tool] = [
        ReadTool(workspace, limit=s.read_limit),
        WriteTool(workspace),
        EditTool(workspace),
        ListTool(workspace, max_entries=s.list_max_entries),
        FindTool(workspace, max_results=s.find_max_results, max_file_bytes=s.find_max_file_bytes),
        SearchTool(make_engine(s.search_engine, s.search_base_url), default_limit=s.search_results),
        ScrapeTool(
            allow_private=s.scrape_allow_private,
            max_bytes=s.scrape_max_bytes,
            timeout=s.scrape_timeout,
        ),
    ]
    if store is not None:
        tools.append(RecallTool(store))
    tools.append(
        ShellTool(
            workspace, default_timeout=s.shell_default_timeout, max_timeout=s.shell_max_timeout
        )
    )
    for tool in tools:
        if isinstance(tool, BuiltinTool) and not isinstance(tool, ShellTool | ReadTool):
            tool.content_limit = s.result_limit
    return tools


def _arg_line(name: str, spec: dict[str, Any], required: bool) -> str:
    kind = spec.get("type", "any")
    kind = "|".join(kind) if isinstance(kind, list) else kind
    bits = [kind if required else f"{kind}, optional"]
    if "default" in spec:
        bits.append(f"default {json.dumps(spec['default'], sort_keys=True)}")
    if "enum" in spec:
        bits.append("one of " + ", ".join(json.dumps(v) for v in spec["enum"]))
    if kind == "array" and isinstance(spec.get("items"), dict):
        bits.append("items " + json.dumps(spec["items"], sort_keys=True, separators=(",", ":")))
    text = f"  - {name} ({'; '.join(bits)})"
    description = " ".join(str(spec.get("description", "")).split())
    return f"{text}: {description}" if description else text


def describe_tool(tool: Tool) -> str:
    props, required = normalise(arg_spec(tool))
    description = " ".join(tool.description.split())
    lines = [f"{tool.name} [{tool.category}]: {description}"]
    lines += [_arg_line(name, spec, name in required) for name, spec in props.items()]
    if not props:
        lines.append("  (no arguments)")
    return "\n".join(lines)


def describe_tools(tools: Sequence[Tool]) -> str:
    """The tool list for the system prompt; byte-stable for the same tools."""
    return "\n\n".join(describe_tool(tool) for tool in tools) + "\n"
