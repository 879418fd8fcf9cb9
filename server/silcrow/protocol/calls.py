"""The call codec: ``§call:`` bodies <-> ``ToolCall``. Pure, never raises.

Algorithm:
1. ``parse_call(raw)`` decodes one body with ``json``. A JSON object with a
   non-empty string ``name`` and an object ``args`` (missing ``args`` means
   ``{}``) and no other keys becomes ``CallToken(raw, call=ToolCall(...))``.
   Anything else becomes ``CallToken(raw, call=None, error=...)`` whose error
   says what is wrong and what the model should write instead; the turn loop
   hands that error back to the model as the call's result.
2. ``parse_calls_array(raw)`` decodes the older ``§CALLS:`` dialect: a JSON
   array of call objects, one ``CallToken`` per element.
3. ``encode_call(call)`` is the one canonical spelling of a call: key order
   ``name`` then ``args``, ``", "``/``": "`` separators, non-ASCII kept. The
   same call always gives the same bytes, so a replayed prompt prefix stays
   byte-stable and provider prompt caches hit.
4. ``malformed(raw, problem)`` builds the error token for bodies the lexer
   could not even finish (empty, unterminated, oversized, not an object).
"""

from __future__ import annotations

import json
from typing import Any

from silcrow.protocol.events import CallToken, ToolCall

CALL_SHAPE = '§call: {"name": "<tool>", "args": {...}}'
_KEYS = frozenset({"name", "args"})


def encode_call(call: ToolCall) -> str:
    """Canonical JSON of one call: ``{"name": ..., "args": ...}``, byte-stable."""
    return json.dumps(
        {"name": call.name, "args": call.args}, ensure_ascii=False, separators=(", ", ": ")
    )


def malformed(raw: str, problem: str) -> CallToken:
    """An error token: ``problem`` says what is wrong; the fix is appended."""
    return CallToken(
        raw=raw, call=None, error=f"{problem}; write one call per line as {CALL_SHAPE}"
    )


def _decode(raw: str) -> tuple[Any, str | None]:
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except ValueError:  # the only other ValueError: an integer past Python's digit limit
        return None, "a number has too many digits; write it as a string"
    except RecursionError:
        return None, "JSON nested too deeply"


def _check_object(value: Any) -> tuple[ToolCall | None, str | None]:
    """A decoded value -> a ToolCall, or the reason it is not one."""
    if not isinstance(value, dict):
        return None, f"a call must be a JSON object, got a JSON {_json_type(value)}"
    extra = sorted(set(value) - _KEYS)
    if extra:
        hint = ' (put the arguments under "args")' if "arguments" in extra else ""
        return None, f"unknown key(s) {', '.join(map(repr, extra))}{hint}"
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        return None, 'the call has no "name" string naming the tool'
    args = value.get("args", {})
    if not isinstance(args, dict):
        return None, f'"args" must be a JSON object, got a JSON {_json_type(args)}'
    return ToolCall(name=name, args=args), None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def parse_call(raw: str) -> CallToken:
    """One ``§call:`` body -> a CallToken (``call`` set, or ``error`` set). Never raises."""
    raw = raw.strip()
    if not raw:
        return malformed(raw, "the call is empty")
    value, problem = _decode(raw)
    if problem is None:
        call, problem = _check_object(value)
        if call is not None:
            return CallToken(raw=raw, call=call)
    return malformed(raw, f"malformed call: {problem}")


def parse_calls_array(raw: str) -> list[CallToken]:
    """A ``§CALLS:`` body (JSON array of call objects) -> one CallToken per element.

    An array that does not decode becomes a single error token; an element
    that is not a valid call becomes an error token in its place.
    """
    raw = raw.strip()
    value, problem = _decode(raw)
    if problem is None and not isinstance(value, list):
        problem = f"§calls: takes a JSON array of calls, got a JSON {_json_type(value)}"
    if problem is not None:
        return [malformed(raw, f"malformed call list: {problem}")]
    tokens = []
    for item in value:
        item_raw = json.dumps(item, ensure_ascii=False, separators=(", ", ": "))
        call, item_problem = _check_object(item)
        tokens.append(
            CallToken(raw=item_raw, call=call)
            if call is not None
            else malformed(item_raw, f"malformed call: {item_problem}")
        )
    return tokens
