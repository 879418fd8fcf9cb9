"""Matching the model's search text against lines, in linear time.

Algorithm:
1. Literal text (``regex=false``) is a plain substring test.
2. A regular expression is compiled by RE2 (``import re2``), whose matching
   time is linear in the line whatever the pattern, so no pattern can stall
   a search (``^(\\w+\\s?)*$`` takes as long as ``^x``). Python's ``re``
   never sees the model's patterns.
3. RE2 refuses what needs backtracking: backreferences (``\\1``),
   lookahead and lookbehind (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), atomic
   groups and possessive quantifiers, and repeat counts above 1000. The
   error names the construct and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import re2

from silcrow.tools.base import ToolError

LineMatcher = Callable[[str], bool]

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error goes back to the model, not to the daemon's stderr

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
    """A test ``line -> bool`` for ``text``; ``ToolError`` saying what to change for a pattern RE2 refuses."""
    if not regex:
        return lambda line: text in line
    try:
        pattern = re2.compile(text, _OPTIONS)
    except re2.error as exc:
        raise ToolError(
            f"regular expression {text!r} cannot be used: {_why(text, exc)} "
            "(patterns run on RE2, which guarantees linear time)"
        ) from None
    return lambda line: pattern.search(line) is not None
