"""Untrusted text shown to a person: every invisible or terminal-controlling character made visible.

Commands, file names and URLs in approval questions come from the model. A
raw ESC can repaint a terminal, a CR or newline can push a second command
out of view, a bidi override can reverse what is read. ``visible`` escapes
them so the text can be judged exactly.

Algorithm:
1. A character is *hidden* when its Unicode category is control (Cc: C0, DEL,
   C1), format (Cf: bidi overrides, zero-width characters), surrogate (Cs),
   private use (Co), unassigned (Cn), line or paragraph separator (Zl, Zp),
   or a space separator other than the plain space (Zs: no-break and other
   wide or narrow spaces that look like a plain one), or one of the
   letters and symbols that render as blank (Hangul fillers, braille blank).
2. ``visible(text)`` writes a hidden character as ``\\n``, ``\\r``, ``\\t``,
   ``\\xNN`` (below U+0100), ``\\uNNNN`` or ``\\UNNNNNNNN``. A backslash that
   is already in the text is doubled when the next character could make it
   read as one of those escapes (``n r t x u U`` or another backslash), so
   every output reads back to exactly one input: ``printf 'a\\nb'`` is shown
   ``printf 'a\\\\nb'`` and a real newline as ``\\n``.
3. ``terminal_safe(text, keep_newlines=True)`` is for text already meant for
   a person (model replies, tool outcomes): hidden characters are escaped as
   in step 2 except newline and tab (kept when ``keep_newlines``; neither
   moves the cursor back over what was printed), and backslashes are left
   alone.
"""

from __future__ import annotations

import unicodedata

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
ESCAPE_LETTERS = frozenset("nrtxuU\\")
BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def hidden(char: str) -> bool:
    """True for characters a person cannot see (or that steer a terminal)."""
    category = unicodedata.category(char)
    return (
        category in HIDDEN_CATEGORIES or (category == "Zs" and char != " ") or char in BLANK_GLYPHS
    )


def escape(char: str) -> str:
    """The visible escape of one hidden character."""
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with hidden characters escaped and ambiguous backslashes doubled (one line)."""
    out: list[str] = []
    for i, char in enumerate(text):
        if char == "\\":
            following = text[i + 1] if i + 1 < len(text) else ""
            out.append(
                "\\\\" if following in ESCAPE_LETTERS or (following and hidden(following)) else "\\"
            )
        elif hidden(char):
            out.append(escape(char))
        else:
            out.append(char)
    return "".join(out)


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with hidden characters escaped, except newline and tab when ``keep_newlines``."""
    if not any(hidden(c) for c in text):
        return text
    kept = "\n\t" if keep_newlines else ""
    return "".join(c if c in kept or not hidden(c) else escape(c) for c in text)
