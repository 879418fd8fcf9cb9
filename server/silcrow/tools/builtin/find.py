"""``find``: files by glob, lines by text or regular expression.

Algorithm:
1. Walk the folder (``silcrow.tools.walk``: ``.git`` skipped, ``.gitignore``
   obeyed, symlinked folders not entered).
2. ``pattern`` is a gitignore-style glob (``*.py`` matches at any depth,
   ``src/**/test_*.py`` is anchored), matched on the path from the root.
3. With ``text``, matching files are searched line by line (literal,
   case-sensitive, or with ``regex=true`` a regular expression run by RE2,
   ``silcrow.tools.search_text``: linear time whatever the pattern). Files
   that are secret-looking (by name, or holding a private key), resolve
   outside the root, exceed the size limit or look binary (a NUL byte early
   on) are skipped and counted. A file is opened with no symlink followed
   at any step (``silcrow.tools.beneath``): one swapped onto its path after
   the check is skipped too.
   Each file is redacted (``silcrow.tools.redact``) before it is searched, so
   a pattern sees ``[redacted:<kind>]`` where a secret is: whatever a pattern
   guesses about a secret, the answer is the same (no probing oracle).
4. Results stop at ``max_results``; the rest is counted as "N more not shown".
"""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pathspec

from silcrow.tools.base import ToolError, ToolResult, Workspace
from silcrow.tools.beneath import open_file
from silcrow.tools.builtin._base import BuiltinTool, arg_schema, policy_for
from silcrow.tools.deadline import checkpoint
from silcrow.tools.paths import PathPolicy
from silcrow.tools.redact import redact
from silcrow.tools.search_text import LineMatcher, line_matcher
from silcrow.tools.walk import GitIgnore, walk

LINE_WIDTH = 200
SNIFF = 8192


@dataclass
class _Found:
    lines: list[str] = field(default_factory=list)
    total: int = 0
    skipped: int = 0

    def add(self, line: str, limit: int) -> None:
        self.total += 1
        if len(self.lines) < limit:
            self.lines.append(line)


def _read_searchable(policy: PathPolicy, rel: str, max_bytes: int) -> str | None:
    """The file's text, redacted, or None when it is not to be searched."""
    try:
        real = policy.for_read(rel)
        # no symlink followed at any step, and never blocking on a FIFO swapped in
        with os.fdopen(open_file(real, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                return None
            data = fh.read(max_bytes + 1)
    except (OSError, ToolError):
        return None
    if b"\x00" in data[:SNIFF]:
        return None
    text = data.decode("utf-8", errors="replace")
    try:
        return redact(policy.check_content(rel, text))
    except ToolError:
        return None


class FindTool(BuiltinTool):
    name = "find"
    description = (
        "Find files by glob pattern and/or lines containing text (regex=true for a "
        "regular expression), honouring .gitignore. Give pattern, text, or both."
    )
    args: ClassVar = arg_schema(
        {
            "pattern": {
                "type": "string",
                "description": "file glob, e.g. *.py or src/**/test_*.py",
            },
            "text": {"type": "string", "description": "text to look for inside files"},
            "regex": {
                "type": "boolean",
                "description": "treat text as a regular expression",
                "default": False,
            },
            "path": {"type": "string", "description": "folder to search in", "default": "."},
        },
        [],
    )
    category = "read"
    idempotent = True
    read_only = True

    def __init__(
        self, workspace: Workspace, *, max_results: int = 200, max_file_bytes: int = 2 * 1024 * 1024
    ) -> None:
        self.workspace = workspace
        self.max_results = max_results
        self.max_file_bytes = max_file_bytes

    async def run(
        self,
        pattern: str | None = None,
        text: str | None = None,
        regex: bool = False,
        path: str = ".",
    ) -> ToolResult:
        if not pattern and not text:
            raise ToolError("give pattern (a file glob), text (to search inside files), or both")
        start = self.workspace.resolve(path)
        globs = _glob(pattern) if pattern else None
        needle = line_matcher(text, regex=regex) if text else None
        found = await asyncio.to_thread(self._scan, start, globs, needle)
        return self._result(found, pattern, text)

    def _scan(
        self, start: Path, globs: pathspec.GitIgnoreSpec | None, needle: LineMatcher | None
    ) -> _Found:
        root = self.workspace.root
        if not start.is_dir():
            raise ToolError(
                f"{start.relative_to(root).as_posix()} is not a folder; path must be a folder"
            )
        policy, found = policy_for(self.workspace), _Found()
        for entry in walk(root, start, depth=None, ignore=GitIgnore(root)):
            checkpoint()
            if entry.is_dir or (globs is not None and not globs.match_file(entry.rel)):
                continue
            if needle is None:
                found.add(entry.rel, self.max_results)
                continue
            body = _read_searchable(policy, entry.rel, self.max_file_bytes)
            if body is None:
                found.skipped += 1
                continue
            for number, line in needle(body):
                found.add(f"{entry.rel}:{number}: {line.strip()[:LINE_WIDTH]}", self.max_results)
        return found

    def _result(self, found: _Found, pattern: str | None, text: str | None) -> ToolResult:
        what = "matches" if text else "files"
        lines = list(found.lines) or [f"no {what} found"]
        if found.total > len(found.lines):
            lines.append(
                f"[{found.total - len(lines)} more {what} not shown; narrow the pattern or path]"
            )
        if found.skipped:
            lines.append(f"[{found.skipped} files skipped: binary, too large, or secret-looking]")
        body = "\n".join(lines)
        label = " ".join(
            x for x in (pattern and f"pattern {pattern!r}", text and f"text {text!r}") if x
        )
        return ToolResult(f"Found {found.total} {what} for {label}", body)


def _glob(pattern: str) -> pathspec.GitIgnoreSpec:
    """The model's glob, matched by re2 (linear time: ``*a*a*a*b`` cannot backtrack)."""
    try:
        return pathspec.GitIgnoreSpec.from_lines([pattern], backend="re2")
    except Exception as exc:  # re2's and pathspec's errors have no common base
        raise ToolError(
            f"pattern {pattern!r} cannot be used as a glob ({exc}); give a simpler glob such as '*.py'"
        ) from None
