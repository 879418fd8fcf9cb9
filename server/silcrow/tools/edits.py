"""Pure text edits for the ``edit`` tool: exact replacement and line ranges.

Algorithm:
1. ``replace_exact(text, old, new)``: count occurrences of ``old``. One ->
   replace it. None -> ``EditError`` showing the lines nearest to ``old``'s
   first line (and whether a whitespace-insensitive match exists). Several
   -> ``EditError`` with how many and at which lines, unless ``replace_all``.
2. ``apply_all(text, edits)`` applies replacements in order to the running
   text; the first failure names the edit's index, and nothing is applied.
3. ``replace_lines(text, start, end, new)`` swaps lines ``start..end``
   (1-based, inclusive); ``end = start - 1`` inserts before ``start``.
4. ``diff_preview`` is a short unified diff for the result the model sees.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from silcrow.tools.base import ToolError

CONTEXT_LINES = 3


class EditError(ToolError):
    """An edit that cannot be applied; the message says what to send instead."""


@dataclass(frozen=True, slots=True)
class Replacement:
    old: str
    new: str


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def occurrences(text: str, old: str) -> list[int]:
    found, at = [], text.find(old)
    while at != -1:
        found.append(at)
        at = text.find(old, at + len(old))
    return found


def nearest_lines(text: str, old: str) -> str:
    """Numbered lines around the line most similar to ``old``'s first non-blank line."""
    lines = text.splitlines()
    probe = next((ln.strip() for ln in old.splitlines() if ln.strip()), "")
    if not lines or not probe:
        return ""
    scores = [difflib.SequenceMatcher(None, probe, ln.strip()).ratio() for ln in lines]
    best = max(range(len(lines)), key=scores.__getitem__)
    lo, hi = max(0, best - CONTEXT_LINES), min(len(lines), best + CONTEXT_LINES + 1)
    return "\n".join(f"{i + 1:>6}\t{lines[i]}" for i in range(lo, hi))


def _squash(text: str) -> str:
    return " ".join(text.split())


def replace_exact(text: str, old: str, new: str, *, replace_all: bool = False) -> str:
    if not old:
        raise EditError("old is empty; give the exact text to replace (or use start/end line numbers)")
    if old == new:
        raise EditError("old and new are identical; nothing to change")
    found = occurrences(text, old)
    if not found:
        hint = ""
        if _squash(old) and _squash(old) in _squash(text):
            hint = " The text exists with different whitespace or indentation; copy it exactly."
        near = nearest_lines(text, old)
        shown = f"\nNearest lines:\n{near}" if near else ""
        raise EditError(f"old text not found in the file.{hint} Read the file and copy old exactly.{shown}")
    if len(found) > 1 and not replace_all:
        where = ", ".join(str(line_of(text, at)) for at in found[:20])
        raise EditError(
            f"old text occurs {len(found)} times (at lines {where}); include more surrounding "
            "lines to make it unique, or set all=true to replace every occurrence"
        )
    return text.replace(old, new) if replace_all else text.replace(old, new, 1)


def apply_all(text: str, edits: Sequence[Replacement]) -> str:
    for index, edit in enumerate(edits):
        try:
            text = replace_exact(text, edit.old, edit.new)
        except EditError as exc:
            raise EditError(f"edit {index + 1} of {len(edits)} failed, nothing was changed: {exc}") from None
    return text


def replace_lines(text: str, start: int, end: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    if start < 1 or start > len(lines) + 1:
        raise EditError(f"start={start} is outside the file (1..{len(lines) + 1})")
    if end < start - 1 or end > len(lines):
        raise EditError(f"end={end} must be between start-1 ({start - 1}, to insert) and {len(lines)}")
    if new and not new.endswith("\n") and (end < len(lines) or text.endswith("\n")):
        new += "\n"
    return "".join(lines[: start - 1]) + new + "".join(lines[end:])


def diff_preview(before: str, after: str, name: str, limit: int = 4000) -> tuple[str, int, int]:
    """``(diff, added, removed)`` with at most ``limit`` characters of diff."""
    diff = list(
        difflib.unified_diff(before.splitlines(), after.splitlines(), name, name, n=2, lineterm="")
    )
    added = sum(1 for ln in diff if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff if ln.startswith("-") and not ln.startswith("---"))
    text = "\n".join(diff)
    if len(text) > limit:
        text = text[:limit] + "\n[... diff truncated ...]"
    return text, added, removed
