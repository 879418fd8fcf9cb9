"""Pure text edits for the ``edit`` tool: exact replacement and line ranges.

Algorithm:
1. ``replace_exact(text, old, new)``: count occurrences of ``old``. One ->
   replace it. None -> ``EditError`` showing the lines nearest to ``old``'s
   first line (and whether a whitespace-insensitive match exists); an
   ``old`` longer than ``LONG_OLD`` characters also gets the advice to send
   a short unique excerpt or a line range. Several -> ``EditError`` with
   how many and at which lines, unless ``replace_all``.
   The nearest-lines search is bounded: the probe and each line are cut to
   ``PROBE_CHARS``; cheap upper bounds (``real_quick_ratio``,
   ``quick_ratio``) skip lines that cannot beat the best so far; the full
   ratio is charged ``len(probe) * len(line)`` (each line at least
   ``len(probe) + len(line)``) against ``FUZZY_WORK``, and
   the search stops (saying how far it got) when that is spent. It calls
   ``checkpoint()`` as it goes (``silcrow.tools.deadline``).
2. ``apply_all(text, edits)`` applies replacements in order to the running
   text; the first failure names the edit's index, and nothing is applied.
3. ``replace_lines(text, start, end, new)`` swaps lines ``start..end``
   (1-based, inclusive); ``end = start - 1`` inserts before ``start``.
4. ``diff_preview`` is a short unified diff for the result the model sees,
   computed only over what changed: the common leading and trailing lines
   are cut first (linear); difflib runs on the rest when it is at most
   ``DIFF_WORK`` line pairs, else the rest is shown as one hunk (all its old
   lines removed, all its new lines added).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from silcrow.tools.base import ToolError
from silcrow.tools.deadline import checkpoint

CONTEXT_LINES = 3
PROBE_CHARS = 200  # characters of old's first line, and of each file line, that are compared
FUZZY_WORK = 4_000_000  # character pairs the nearest-lines search may compare
LONG_OLD = 2_000  # characters of old above which the error advises a shorter excerpt
DIFF_WORK = 1_000_000  # line pairs difflib may compare for a preview
DIFF_CONTEXT = 2
_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


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


def _probe(old: str) -> str:
    for line in old.splitlines():
        if line.strip():
            return line.strip()[:PROBE_CHARS]
    return ""


def nearest_lines(text: str, old: str, work: int = FUZZY_WORK) -> str:
    """Numbered lines around the line most similar to ``old``'s first non-blank line (bounded, see step 1)."""
    lines = text.splitlines()
    probe = _probe(old)
    if not lines or not probe:
        return ""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(probe)  # difflib caches what it learns about the second sequence
    best, best_score, spent, searched = 0, -1.0, 0, len(lines)
    for i, line in enumerate(lines):
        if i % 256 == 0:
            checkpoint()
        candidate = line.strip()[:PROBE_CHARS]
        matcher.set_seq1(candidate)
        spent += len(probe) + len(candidate)
        if spent > work:
            searched = i
            break
        if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
            continue
        spent += len(probe) * len(candidate)
        if spent > work:
            searched = i
            break
        score = matcher.ratio()
        if score > best_score:
            best, best_score = i, score
    lo, hi = max(0, best - CONTEXT_LINES), min(len(lines), best + CONTEXT_LINES + 1)
    shown = "\n".join(f"{i + 1:>6}\t{lines[i]}" for i in range(lo, hi))
    if searched < len(lines):
        shown += f"\n(only lines 1-{searched} of {len(lines)} were compared; the search has a work limit)"
    return shown


def _squash(text: str) -> str:
    return " ".join(text.split())


def replace_exact(text: str, old: str, new: str, *, replace_all: bool = False) -> str:
    if not old:
        raise EditError(
            "old is empty; give the exact text to replace (or use start/end line numbers)"
        )
    if old == new:
        raise EditError("old and new are identical; nothing to change")
    found = occurrences(text, old)
    if not found:
        hint = ""
        if _squash(old) and _squash(old) in _squash(text):
            hint = " The text exists with different whitespace or indentation; copy it exactly."
        if len(old) > LONG_OLD:
            hint += (
                f" old is {len(old)} characters long; send a short excerpt that occurs once "
                "(a few lines), or replace a line range with start/end/new."
            )
        near = nearest_lines(text, old)
        shown = f"\nNearest lines:\n{near}" if near else ""
        raise EditError(
            f"old text not found in the file.{hint} Read the file and copy old exactly.{shown}"
        )
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
            raise EditError(
                f"edit {index + 1} of {len(edits)} failed, nothing was changed: {exc}"
            ) from None
    return text


def replace_lines(text: str, start: int, end: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    if start < 1 or start > len(lines) + 1:
        raise EditError(f"start={start} is outside the file (1..{len(lines) + 1})")
    if end < start - 1 or end > len(lines):
        raise EditError(
            f"end={end} must be between start-1 ({start - 1}, to insert) and {len(lines)}"
        )
    if new and not new.endswith("\n") and (end < len(lines) or text.endswith("\n")):
        new += "\n"
    return "".join(lines[: start - 1]) + new + "".join(lines[end:])


def _common_ends(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """Lengths of the common leading and trailing runs of lines (not overlapping)."""
    most = min(len(a), len(b))
    head = 0
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def _shift(line: str, by: int) -> str:
    """A hunk header with both start lines moved down by ``by``."""
    found = _HUNK.match(line)
    if found is None or not by:
        return line
    a, a_len, b, b_len = found.groups()
    return f"@@ -{int(a) + by}{a_len or ''} +{int(b) + by}{b_len or ''} @@{line[found.end() :]}"


def _diff_lines(a: list[str], b: list[str], name: str) -> list[str]:
    head, tail = _common_ends(a, b)
    lo = max(0, head - DIFF_CONTEXT)
    a_mid, b_mid = (
        a[lo : len(a) - max(0, tail - DIFF_CONTEXT)],
        b[lo : len(b) - max(0, tail - DIFF_CONTEXT)],
    )
    if len(a_mid) * len(b_mid) <= DIFF_WORK:
        checkpoint()
        diff = difflib.unified_diff(a_mid, b_mid, name, name, n=DIFF_CONTEXT, lineterm="")
        return [_shift(line, lo) for line in diff]
    before, after = a[lo:head], a[len(a) - tail : len(a) - tail + DIFF_CONTEXT]
    removed, added = a[head : len(a) - tail], b[head : len(b) - tail]
    span_a, span_b = len(before) + len(removed) + len(after), len(before) + len(added) + len(after)
    return [
        f"--- {name}",
        f"+++ {name}",
        f"@@ -{lo + 1},{span_a} +{lo + 1},{span_b} @@",
        *(" " + ln for ln in before),
        *("-" + ln for ln in removed),
        *("+" + ln for ln in added),
        *(" " + ln for ln in after),
    ]


def diff_preview(before: str, after: str, name: str, limit: int = 4000) -> tuple[str, int, int]:
    """``(diff, added, removed)`` with at most ``limit`` characters of diff (see step 4)."""
    diff = _diff_lines(before.splitlines(), after.splitlines(), name)
    added = sum(1 for ln in diff if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff if ln.startswith("-") and not ln.startswith("---"))
    text = "\n".join(diff)
    if len(text) > limit:
        text = text[:limit] + "\n[... diff truncated ...]"
    return text, added, removed
