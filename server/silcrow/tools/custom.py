"""Custom tools in Cogency's shape: the arguments shown, and what the agent passes in.

A custom tool (any ``Tool`` that is not one of Silcrow's built-ins) may be
written as Cogency 3.2.0 documents it: ``name``, ``description``, an
optional ``schema`` and ``async def execute(self, sql, user_id=None)``.

Algorithm:
1. ``arg_spec(tool)``: the tool's ``args`` (or ``schema``, see
   ``Tool.__init_subclass__``); when it has neither, the arguments of its
   ``execute`` signature (type from the annotation, ``default`` from the
   default), without the names the agent fills in, so the model never sees
   "(no arguments)" for a tool that takes some.
2. ``context_args(tool, values)``: of ``user_id``, ``sandbox_dir`` and
   ``access``, the ones ``execute`` names as parameters, with the agent's
   values (the caller's ``user_id``, ``None`` when none was given; the
   workspace folder; the access level of ``Security``). A name only reaches
   the tool if it asks for it by name: a tool taking ``**kwargs`` (an MCP
   bridge, a built-in) never receives them, so they cannot leak into its
   arguments. Whatever the model wrote under those names is replaced.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Mapping
from typing import Any

from silcrow.tools.base import Tool

CONTEXT_NAMES = ("user_id", "sandbox_dir", "access")

_JSON_TYPES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
}


def _parameters(tool: Tool) -> list[inspect.Parameter]:
    try:
        try:  # postponed annotations (``from __future__ import annotations``) evaluated
            signature = inspect.signature(tool.execute, eval_str=True)
        except Exception:  # a name the annotation uses is not importable here: keep strings
            signature = inspect.signature(tool.execute)
    except (TypeError, ValueError):  # a builtin or C callable: nothing to read
        return []
    return list(signature.parameters.values())


def _json_type(annotation: object) -> str | None:
    """The JSON type of a parameter annotation (``str``, ``int | None``, ``list[str]``...)."""
    if isinstance(annotation, str):  # an annotation that could not be evaluated
        head = annotation.split("|")[0].split("[")[0].strip()
        return {t.__name__: name for t, name in _JSON_TYPES.items()}.get(head)
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    options = typing.get_args(annotation) if union else ()
    for option in options or (annotation,):
        found = _JSON_TYPES.get(typing.get_origin(option) or option)
        if found is not None:
            return found
    return None


def signature_args(tool: Tool) -> dict[str, Any]:
    """The arguments of ``tool.execute`` as a short-form schema (context names left out)."""
    props: dict[str, Any] = {}
    for param in _parameters(tool):
        if param.name in CONTEXT_NAMES or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        spec: dict[str, Any] = {}
        kind = _json_type(param.annotation)
        if kind is not None:
            spec["type"] = kind
        if param.default is not param.empty:
            spec["default"] = param.default
        props[param.name] = spec
    return props


def arg_spec(tool: Tool) -> dict[str, Any]:
    """What the model is shown as the tool's arguments (step 1)."""
    return tool.args or signature_args(tool)


def context_args(tool: Tool, values: Mapping[str, object]) -> dict[str, object]:
    """The context values ``tool.execute`` asks for by name (step 2)."""
    named = {p.name for p in _parameters(tool) if p.kind is not p.VAR_KEYWORD}
    return {name: values.get(name) for name in CONTEXT_NAMES if name in named}
