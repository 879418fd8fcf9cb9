"""Matching the model's search text against lines, in linear time.

Algorithm:
1. The search text is compiled by RE2 (``import re2``; literal text is
   escaped first), whose matching time is linear in the text whatever the
   pattern, so no pattern can stall a search (``^(\\w+\\s?)*$`` takes as
   long as ``^x``). Python's ``re`` never sees the model's patterns.
2. Lines are searched all at once, not one call per line: the file's lines
   (as ``str.splitlines`` cuts them, so numbers match ``read``'s) are joined
   with ``\\n`` and encoded once; the pattern runs in multi-line mode with
   RE2's ``never_nl`` (no match crosses a line end), and after each hit the
   search resumes at the next line. ``^``/``$`` anchor at each line;
   ``\\A``/``\\z`` at the file's start and end.
3. RE2 refuses what needs backtracking: backreferences (``\\1``),
   lookahead and lookbehind (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), atomic
   groups and possessive quantifiers, and repeat counts above 1000. The
   error names the construct and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import re2

from silcrow.tools.base import ToolError

LineMatcher = Callable[[str], Iterator[tuple[int, str]]]  # text -> (line number, line) of each hit

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error goes back to the model, not to the daemon's stderr
_OPTIONS.never_nl = True  # a match never spans two lines

_ADVICE = (
    (re.compile(r"\\[1-9]|\\g<|\(\?P="), "backreferences (\\1, (?P=name)) are not supported; match the text itself"),
    (re.compile(r"\(\?<?[=!]"), "lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported; "
     "match the surrounding text as part of the pattern"),
    (re.compile(r"\(\?>|[*+?}]\+"), "atomic groups and possessive quantifiers are not supported; drop the > or +"),
    (re.compile(r"\{\d{4,}"), "repeat counts above 1000 are not supported; use + or *"),
)  # fmt: skip


def _why(pattern: str, error: Exception) -> str:
    for construct, advice in _ADVICE:
        if construct.search(pattern):
            return advice
    detail = error.args[0] if error.args else error
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return f"{detail}; fix the pattern or search literal text with regex=false"


def line_matcher(text: str, *, regex: bool) -> LineMatcher:
    """``lines(body)`` yielding each line that holds ``text``; ``ToolError`` for a pattern RE2 refuses."""
    try:
        pattern = re2.compile("(?m)" + (text if regex else re2.escape(text)), _OPTIONS)
    except re2.error as exc:
        if not regex:
            raise ToolError(f"cannot search for {text!r}: {_why(text, exc)}") from None
        raise ToolError(
            f"regular expression {text!r} cannot be used: {_why(text, exc)} "
            "(patterns run on RE2, which guarantees linear time)"
        ) from None

    def lines(body: str) -> Iterator[tuple[int, str]]:
        if not body:
            return
        data = "\n".join(body.splitlines()).encode("utf-8", "surrogatepass")
        pos, number, counted = 0, 1, 0
        while pos <= len(data):
            match = pattern.search(data, pos)
            if match is None:
                return
            start = match.start()
            number += data.count(b"\n", counted, start)
            counted = start
            first = data.rfind(b"\n", 0, start) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            yield number, data[first:end].decode("utf-8", "surrogatepass")
            pos = end + 1

    return lines
