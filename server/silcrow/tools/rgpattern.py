"""The model's search text as an ``rg`` pattern that finds at least every line RE2 matches.

``rg`` only chooses the candidate files; RE2 (``silcrow.tools.search_text``)
decides what matches, on the redacted text. So rg's pattern may match more
than RE2's, never less. The two engines share a syntax but not every
meaning: Rust's ``\\w \\d \\s \\b`` are Unicode-aware, RE2's are ASCII. A
Unicode ``\\w`` matches more (fine), but a Unicode ``\\W`` matches less (``é``
is a word character to rg and not to RE2), so a file RE2 would find could
be missed.

Algorithm (``rg_regex``):
1. Walk the pattern once, keeping track of escapes and whether we are inside
   a ``[...]`` class.
2. Rewrite the ASCII-meaning escapes to rg's explicit ASCII classes:
   ``\\w`` -> ``[[:word:]]``, ``\\W`` -> ``[[:^word:]]``, likewise ``\\d``
   (``digit``) and ``\\s`` (``space``); inside a class the same names go in
   without the outer brackets (``[\\w-]`` -> ``[[:word:]-]``). ``\\b`` and
   ``\\B`` outside a class become the ASCII boundaries ``(?-u:\\b)`` and
   ``(?-u:\\B)``.
3. Everything else is copied as written; a pattern rg still refuses makes
   rg exit with an error, and the caller searches without rg.
"""

from __future__ import annotations

_CLASSES = {"w": "word", "d": "digit", "s": "space"}


def _class(letter: str, inside: bool) -> str:
    name = _CLASSES[letter.lower()]
    body = f"[:{'^' if letter.isupper() else ''}{name}:]"
    return body if inside else f"[{body}]"


def rg_regex(pattern: str) -> str:
    """``pattern`` with RE2's ASCII ``\\w \\d \\s \\b`` (and negations) spelled out for rg."""
    out: list[str] = []
    inside = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt.lower() in _CLASSES:
                out.append(_class(nxt, inside))
            elif nxt in "bB" and not inside:
                out.append(f"(?-u:\\{nxt})")
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[" and not inside:
            inside = True
            out.append(char)
            # a "]" (or "^]") right after the opening bracket is a literal
            for literal in ("^]", "]", "^"):
                if pattern.startswith(literal, i + 1):
                    out.append(literal)
                    i += len(literal)
                    break
        elif char == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            stop = len(pattern) if end < 0 else end + 2
            out.append(pattern[i:stop])
            i = stop
            continue
        elif char == "]" and inside:
            inside = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)
