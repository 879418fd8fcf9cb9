"""Reading a shell command line as one *simple command* (a plain argv), or refusing to.

"Allow always" may only cover what a person can read off the text: one
command name and plain words. ``/bin/sh`` (dash on Debian) and bash differ in
corners, so two independent readings must agree.

Algorithm:
1. Belt (``_belt_argv``): one pass over the raw text with POSIX quoting.
   Outside quotes, refuse hidden characters (``visible.hidden``: newline, CR,
   tab, ESC, NUL, bidi controls, odd spaces, ...), typographic quotes, and
   every character that means something to a shell: ``# \\ $ ` < > | & ; ( )
   { } * ? [ ] ~ ! ^``. Inside single quotes everything but hidden
   characters is literal. Inside double quotes ``$``, backtick, backslash and
   ``!`` are refused too (the only characters that are not literal there).
   Words split at plain spaces; a word is unquoted text or exactly one quoted
   string (no ``a'b'`` concatenation, no unterminated quote).
2. Grammar (``_tree_argv``): tree-sitter-bash parses the text. The tree must
   be a ``program`` holding exactly one ``command`` and no error or missing
   node; the command's children are a ``command_name`` that is one ``word``
   and arguments that are each a ``word``, a ``number``, a ``raw_string`` or a ``string``
   made only of ``string_content``. Anything else (``variable_assignment``,
   redirections, expansions, substitutions, ``concatenation``, comments,
   here-docs, lists, pipelines, compound commands) refuses.
3. Both argvs must be equal; the first word must not be a shell reserved
   word (``time``, ``coproc``, ``if``, ...) nor contain ``=``.
4. ``simple_argv(text)`` returns the argv or raises ``NotSimple`` whose
   message says why, in words a person reads in the approval question.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import tree_sitter
import tree_sitter_bash

from silcrow.tools.visible import hidden

Argv = tuple[str, ...]
SHELL_SPECIAL = frozenset("#\\$`<>|&;(){}*?[]~!^")
DOUBLE_QUOTE_SPECIAL = frozenset("$`\\!")
RESERVED = frozenset({
    "!", "{", "}", "[[", "]]", "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for",
    "function", "if", "in", "select", "then", "time", "until", "while",
})  # fmt: skip
WHY = {
    "#": "a comment", "\\": "a backslash", "$": "an expansion or substitution",
    "`": "a command substitution", "<": "a redirection", ">": "a redirection",
    "|": "a pipe", "&": "a background or list operator", ";": "a command separator",
    "(": "a subshell or substitution", ")": "a subshell or substitution",
    "{": "a group or brace expansion", "}": "a group or brace expansion",
    "*": "a glob", "?": "a glob", "[": "a glob", "]": "a glob", "~": "a tilde expansion",
    "!": "a history or negation mark", "^": "a caret",
}  # fmt: skip
ARGUMENT_NODES = frozenset({"word", "number", "raw_string", "string"})


class NotSimple(ValueError):
    """The text is not one plain command; the message says what it holds instead."""


def simple_argv(text: str) -> Argv:
    """The argv of a simple command, or ``NotSimple`` saying why it is not one."""
    belt = _belt_argv(text)
    tree = _tree_argv(text)
    if belt != tree:
        raise NotSimple("the shell grammar reads it differently from a plain word split")
    name = belt[0]
    if name in RESERVED:
        raise NotSimple(f"`{name}` is a shell keyword")
    if "=" in name:
        raise NotSimple("it starts with a variable assignment")
    return belt


def _belt_argv(text: str) -> Argv:
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        word, i = _belt_word(text, i)
        words.append(word)
    if not words:
        raise NotSimple("it is empty")
    return tuple(words)


def _belt_word(text: str, i: int) -> tuple[str, int]:
    """One word from ``i``: a single quoted string, or unquoted plain characters up to a space."""
    quote = text[i]
    if quote in "'\"":
        end = text.find(quote, i + 1)
        if end < 0:
            raise NotSimple("a quote is not closed")
        body = text[i + 1 : end]
        for char in body:
            if hidden(char):
                raise NotSimple("it holds a control or invisible character")
            if quote == '"' and char in DOUBLE_QUOTE_SPECIAL:
                raise NotSimple(f"a double-quoted string holds {WHY.get(char, repr(char))}")
        if end + 1 < len(text) and text[end + 1] != " ":
            raise NotSimple("a quoted string is joined to other text")
        return body, end + 1
    start = i
    while i < len(text) and text[i] != " ":
        _plain(text[i])
        i += 1
    return text[start:i], i


def _plain(char: str) -> None:
    if hidden(char):
        raise NotSimple("it holds a control or invisible character (newline, CR, tab, escape, ...)")
    if char in SHELL_SPECIAL:
        raise NotSimple(f"it holds {WHY[char]} (`{char}`)")
    if char in "'\"":
        raise NotSimple("a quoted string is joined to other text")
    if unicodedata.category(char) in ("Pi", "Pf"):
        raise NotSimple("it holds a typographic quote")


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def _tree_argv(text: str) -> Argv:
    data = text.encode("utf-8", "surrogatepass")
    root = _parser().parse(data).root_node
    if root.type != "program" or root.has_error:
        raise NotSimple("the shell grammar cannot read it")
    if len(root.named_children) != 1 or root.named_children[0].type != "command":
        raise NotSimple("it is more than one command")
    argv: list[str] = []
    for child in root.named_children[0].children:
        if child.type == "command_name":
            parts = child.named_children
            if len(parts) != 1 or parts[0].type != "word":
                raise NotSimple("its command name is not a plain word")
            argv.append(_text(data, parts[0]))
        elif child.type in ARGUMENT_NODES:
            argv.append(_argument(data, child))
        else:
            raise NotSimple(f"it holds a {child.type.replace('_', ' ')}")
    if not argv:
        raise NotSimple("it has no command name")
    return tuple(argv)


def _argument(data: bytes, node: tree_sitter.Node) -> str:
    if node.type in ("word", "number"):
        return _text(data, node)
    if node.type == "raw_string":
        return _text(data, node)[1:-1]
    if any(part.type != "string_content" for part in node.named_children):
        raise NotSimple("a double-quoted string holds an expansion")
    return _text(data, node)[1:-1]


def _text(data: bytes, node: tree_sitter.Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")
