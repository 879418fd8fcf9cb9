"""Editor context items -> what the turn stores and the model reads.

The editor attaches items to a prompt (docs/protocol.md, "Context items"):
a file, a selection, diagnostics, a symbol, an image. This module fills in
what the editor left out, once, before the turn's ``user`` event is stored,
so history and replays show exactly what the model saw.

Algorithm:
1. ``resolve_context(items, workspace)`` returns each item as a dict with
   its content filled in (``text``, and ``note`` when something was cut or
   could not be read). Reads go through the ``Workspace`` port, like every
   tool read: the editor's open buffer first, else the disk, confined to
   the root (a uri outside it, a secret file, a binary file is a ``note``
   saying why, and the turn goes on).
   * ``file``: the whole text; over ``MAX_LINES`` lines or ``MAX_CHARS``
     characters, the first lines that fit, with a note naming the ``read``
     tool and the range to ask for next;
   * ``selection`` without ``text`` and ``symbol``: the range's text (LSP
     positions; ``character`` counted in code points), cut at ``MAX_CHARS``
     with a note;
   * ``diagnostics``: one line each, ``path:line:col severity [source code]
     message`` (1-based), with the source line under it when it can be read;
   * ``image``: kept as sent (``mimeType``, ``data``).
   An item that came with its ``text`` (an open buffer's selection, an ACP
   embedded resource) keeps it: that is what the user saw.
   An item without ``kind`` (the first contract) is a ``selection`` when it
   has a range, else a ``file``.
2. ``uri_to_path`` turns a ``file:`` uri into a path; anything else is
   refused with a note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from silcrow.protocol.assembly import kind_of
from silcrow.tools.base import ToolError, Workspace

MAX_LINES = 400
MAX_CHARS = 32_000
SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}

Item = dict[str, Any]


def uri_to_path(uri: str) -> Path:
    """The local path of a ``file:`` uri; ``ToolError`` for any other scheme."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise ToolError(f"{uri} is not a file: uri; only workspace files can be attached")
    return Path(unquote(parsed.path))


async def resolve_context(items: Sequence[Mapping[str, Any]], workspace: Workspace) -> list[Item]:
    """Step 1: each item with its content filled in."""
    return [await _resolve(dict(item), workspace) for item in items]


async def _resolve(item: Item, workspace: Workspace) -> Item:
    kind = kind_of(item)
    if kind == "image":
        return item
    if kind != "diagnostics" and isinstance(item.get("text"), str):
        return item  # the editor sent the text: what the user saw
    try:
        text = await workspace.read_text(str(uri_to_path(str(item.get("uri", "")))))
    except (ToolError, OSError, ValueError) as exc:
        if kind == "diagnostics":  # the problems are worth showing without the source
            return {**item, "text": render_diagnostics(item, None)}
        return {**item, "note": f"could not be read: {exc}"}
    if kind == "file":
        return {**item, **_whole_file(text)}
    if kind == "diagnostics":
        return {**item, "text": render_diagnostics(item, text)}
    return {**item, **_capped(range_text(text, item.get("range")))}


def _capped(text: str) -> Item:
    if len(text) <= MAX_CHARS:
        return {"text": text}
    note = f"the range holds {len(text)} characters; the first {MAX_CHARS} are shown"
    return {"text": text[:MAX_CHARS], "note": note}


def _whole_file(text: str) -> Item:
    lines = text.splitlines(keepends=True)
    if len(lines) <= MAX_LINES and len(text) <= MAX_CHARS:
        return {"text": text}
    kept: list[str] = []
    size = 0
    for line in lines[:MAX_LINES]:
        if size + len(line) > MAX_CHARS:
            break
        kept.append(line)
        size += len(line)
    shown = len(kept)
    note = (
        f"the file has {len(lines)} lines and {len(text)} characters; lines 1-{shown} are shown. "
        f'Read the rest with the read tool (e.g. {{"file": ..., "start": {shown + 1}, '
        f'"end": {shown + MAX_LINES}}}).'
    )
    return {"text": "".join(kept), "note": note}


def _position(value: object) -> tuple[int, int]:
    if not isinstance(value, Mapping):
        return 0, 0
    line, character = value.get("line", 0), value.get("character", 0)
    return (line if isinstance(line, int) else 0, character if isinstance(character, int) else 0)


def range_text(text: str, rng: object) -> str:
    """The text an LSP range covers (clipped to the text)."""
    if not isinstance(rng, Mapping):
        return text
    (l1, c1), (l2, c2) = _position(rng.get("start")), _position(rng.get("end"))
    lines = text.splitlines(keepends=True)
    if l1 >= len(lines):
        return ""
    if l2 >= len(lines):
        l2, c2 = len(lines) - 1, len(lines[-1])
    if l1 == l2:
        return lines[l1][c1:c2]
    return lines[l1][c1:] + "".join(lines[l1 + 1 : l2]) + lines[l2][:c2]


def render_diagnostics(item: Mapping[str, Any], text: str | None) -> str:
    """Step 1's diagnostics lines: ``path:line:col severity [source code] message``."""
    uri = str(item.get("uri", ""))
    name = urlparse(uri).path.rsplit("/", 1)[-1] or uri
    lines = text.splitlines() if text is not None else []
    out: list[str] = []
    found = item.get("diagnostics")
    for diag in found if isinstance(found, list) else []:
        if not isinstance(diag, Mapping):
            continue
        line, col = _position((diag.get("range") or {}).get("start"))
        severity = SEVERITY.get(diag.get("severity") or 1, "error")
        origin = " ".join(str(diag[k]) for k in ("source", "code") if diag.get(k) not in (None, ""))
        label = f"{severity} [{origin}]" if origin else severity
        message = str(diag.get("message", "")).strip()
        out.append(f"{name}:{line + 1}:{col + 1} {label} {message}")
        if line < len(lines):
            out.append(f"    {lines[line].strip()}")
    return "\n".join(out) if out else "no problems reported"
