"""JSON frames at the edge of a live session: parse, dump, key spelling, ids.

Algorithm:
1. ``parse_frame`` accepts one text/bytes frame holding a JSON object and
   raises ``ProviderError`` for anything else (wire data is untrusted);
   ``obj`` reads a nested value as an object or an empty one.
2. ``dumps`` writes the compact form (no spaces, UTF-8 kept) whose bytes the
   sessions count as ``sent_bytes``.
3. ``camelize`` turns protobuf-JSON snake_case keys into camelCase (Gemini
   accepts both spellings; the decoders read one).
4. ``new_id`` makes client-side ids of at most 32 characters.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from silcrow.providers.base import ProviderError

Frame = dict[str, Any]

_SNAKE = re.compile(r"_([a-z0-9])")


def new_id(prefix: str) -> str:
    """A client-side id (at most 32 characters, as Realtime item ids must be)."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def camelize(value: Any) -> Any:
    """Protobuf-JSON key spelling: ``turn_complete`` -> ``turnComplete`` (keys only)."""
    if isinstance(value, dict):
        return {_SNAKE.sub(lambda m: m.group(1).upper(), k): camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def parse_frame(raw: str | bytes) -> Frame:
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProviderError(f"The live server sent a frame that is not JSON: {exc}") from exc
    if not isinstance(frame, dict):
        raise ProviderError("The live server sent a JSON frame that is not an object.")
    return frame


def obj(value: Any) -> Frame:
    """``value`` if it is a JSON object, else an empty one (wire data is untrusted)."""
    return value if isinstance(value, dict) else {}


def dumps(frame: Frame) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
