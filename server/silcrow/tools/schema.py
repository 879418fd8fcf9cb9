"""Tool argument schemas: normalising the two accepted forms and checking calls.

A tool's ``args`` is either a full JSON object schema (``{"type": "object",
"properties": {...}, "required": [...]}``) or the short form ``{"file":
{"type": "string", ...}}`` where every property is required unless it has a
``default``, ``"required": false`` or (Cogency's spelling) ``"optional": true``.

Algorithm (``check_args``):
1. Normalise the schema to ``(properties, required)``.
2. Refuse unknown argument names, then missing required ones.
3. Check each given value against its JSON type (``integer`` accepts whole
   numbers written as ``3.0``, never booleans) and ``enum``.
4. Every refusal is one ``ToolError`` naming the argument and what the tool
   expects, so the model can correct the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from silcrow.tools.base import Tool, ToolError

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def normalise(args: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``(properties, required)`` for either accepted schema form."""
    if args.get("type") == "object" or "properties" in args:
        props = dict(args.get("properties", {}))
        return props, list(args.get("required", []))
    props = {k: dict(v) for k, v in args.items()}
    required = [
        k
        for k, v in props.items()
        if "default" not in v and v.get("required", True) and not v.get("optional", False)
    ]
    for v in props.values():
        v.pop("required", None)
        v.pop("optional", None)
    return props, required


def _type_ok(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else list(expected)
    for name in names:
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        kinds = _PY_TYPES.get(name)
        if kinds is None:
            return True
        if isinstance(value, bool) and name != "boolean":
            continue
        if isinstance(value, kinds):
            return True
    return False


def usage(tool: Tool) -> str:
    """One line listing a tool's arguments, for error messages."""
    props, required = normalise(tool.args)
    parts = [name if name in required else f"{name}?" for name in props]
    return f"{tool.name}({', '.join(parts)})"


def check_args(tool: Tool, args: Mapping[str, Any]) -> dict[str, Any]:
    """The call's arguments, checked; integral floats become ints."""
    if not isinstance(args, Mapping):
        raise ToolError(f"arguments must be a JSON object; expected {usage(tool)}")
    props, required = normalise(tool.args)
    unknown = sorted(set(args) - set(props))
    if unknown:
        raise ToolError(f"unknown argument(s) {', '.join(unknown)}; expected {usage(tool)}")
    missing = [name for name in required if name not in args]
    if missing:
        raise ToolError(f"missing argument(s) {', '.join(missing)}; expected {usage(tool)}")
    checked: dict[str, Any] = {}
    for name, value in args.items():
        spec = props[name]
        expected = spec.get("type")
        if expected and not _type_ok(value, expected):
            raise ToolError(f"argument {name} must be {expected}, got {type(value).__name__}")
        if "enum" in spec and value not in spec["enum"]:
            raise ToolError(f"argument {name} must be one of {spec['enum']}, got {value!r}")
        if isinstance(value, float) and expected == "integer":
            value = int(value)
        checked[name] = value
    return checked
