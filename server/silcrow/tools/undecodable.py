"""Text that may carry bytes which are not UTF-8, made valid for JSON, SQLite and people.

Python reads a file name it cannot decode with ``surrogateescape``: byte
``0xff`` becomes the lone surrogate ``U+DCFF``. Such a string opens the file
again, but it cannot be encoded as UTF-8, so storing or sending it fails.

Algorithm:
1. ``valid_utf8(text)`` returns ``text`` unchanged when it encodes (the
   common case, one C call).
2. Otherwise each escaped byte (``U+DC80``..``U+DCFF``) is written as
   ``\\xNN`` and any other lone surrogate as ``\\uNNNN`` - the spelling
   Python and ``ls --quoting-style=escape`` use - and every other character
   is kept.
"""

from __future__ import annotations


def _shown(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return ch


def valid_utf8(text: str) -> str:
    """``text`` with undecodable bytes and lone surrogates escaped (see the module docstring)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(map(_shown, text))
    return text
