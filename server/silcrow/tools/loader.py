"""Loading custom tools named in settings: ``"package.module:Name"``.

Algorithm:
1. Split the spec at the last ``:`` into a module path and a dotted attribute
   path; import the module and walk the attributes.
2. A ``Tool`` subclass is instantiated with no arguments; a ``Tool`` instance
   is used as is; any other callable is called with no arguments and must
   return a ``Tool``.
3. The result must have a name, a description, an ``args`` mapping, a known
   category and an ``async def execute``.
Every failure is a ``ToolLoadError`` naming the spec and the cause.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, get_args

from silcrow.tools.base import Category, Tool


class ToolLoadError(ValueError):
    """A custom tool spec that cannot be loaded; the message names the spec."""


def _split(spec: str) -> tuple[str, list[str]]:
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise ToolLoadError(f"custom tool {spec!r}: write it as 'package.module:ToolClass'")
    module, attr = spec.split(":")
    if not module.strip() or not attr.strip():
        raise ToolLoadError(f"custom tool {spec!r}: both the module and the name are needed")
    return module.strip(), attr.strip().split(".")


def _resolve(spec: str) -> Any:
    module_name, attrs = _split(spec)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ToolLoadError(f"custom tool {spec!r}: cannot import {module_name!r} ({exc})") from exc
    for attr in attrs:
        try:
            target = getattr(target, attr)
        except AttributeError as exc:
            raise ToolLoadError(f"custom tool {spec!r}: {exc}") from exc
    return target


def _instantiate(spec: str, target: Any) -> Any:
    if isinstance(target, Tool):
        return target
    if not callable(target):
        raise ToolLoadError(
            f"custom tool {spec!r} is a {type(target).__name__}, not a Tool class, instance or factory"
        )
    try:
        return target()
    except Exception as exc:
        raise ToolLoadError(
            f"custom tool {spec!r}: calling it with no arguments failed ({type(exc).__name__}: {exc})"
        ) from exc


def validate_tool(spec: str, tool: Any) -> Tool:
    if not isinstance(tool, Tool):
        raise ToolLoadError(
            f"custom tool {spec!r} produced {type(tool).__name__}, not a silcrow.tools.base.Tool"
        )
    problems = []
    if not tool.name or not isinstance(tool.name, str):
        problems.append("a non-empty name")
    if not isinstance(tool.description, str) or not tool.description.strip():
        problems.append("a description")
    if not isinstance(tool.args, dict):
        problems.append("an args schema (a dict)")
    if tool.category not in get_args(Category):
        problems.append(f"a category among {', '.join(get_args(Category))}")
    if not inspect.iscoroutinefunction(tool.execute):
        problems.append("an 'async def execute'")
    if problems:
        raise ToolLoadError(f"custom tool {spec!r} needs {', '.join(problems)}")
    return tool


def load_tool(spec: str) -> Tool:
    """The tool named by ``spec`` (``"module:Class"``), or ``ToolLoadError``."""
    return validate_tool(spec, _instantiate(spec, _resolve(spec)))
