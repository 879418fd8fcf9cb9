"""``find``: files by glob, lines by text or regular expression.

Algorithm:
1. The search itself is ``silcrow.tools.filesearch``: ripgrep lists the
   files (``.git`` skipped, ``.gitignore`` obeyed, hidden files included,
   symlinks not followed, binary files and files over ``max_file_bytes``
   skipped), Python confirms each one. Without ripgrep the tree is walked in
   Python, bounded, and the result says so.
2. ``pattern`` is a glob: without ``/`` it matches file names at any depth
   (``*.py``), with ``/`` the path from the root (``src/**/test_*.py``).
3. With ``text``, matching files are searched line by line (literal,
   case-sensitive, or with ``regex=true`` a regular expression run by RE2,
   ``silcrow.tools.search_text``: linear time whatever the pattern), on each
   file's redacted text (``silcrow.tools.redact``), so a pattern sees
   ``[redacted:<kind>]`` where a secret is: whatever a pattern guesses about
   a secret, the answer is the same (no probing oracle). Secret-looking
   files (by name, or holding a private key) are never searched, nor is a
   file a symlink was swapped onto after the path check.
4. Results stop at ``max_results`` shown; the rest is counted, up to
   ``max_counted``, as "N more not shown" ("at least N" past that, when the
   search is stopped early: ripgrep is killed). Shown results are sorted by
   path and line.
5. A name glob of plain characters with no ``text``, in a workspace whose
   file index is warm and complete (``silcrow.tools.fileindex``, kept by the
   daemon's watcher), is answered from the index (the same tree: ``.git``
   skipped, ``.gitignore`` obeyed, symlinks and files over
   ``max_file_bytes`` left out), each folder's modification time checked
   first, with no walk.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass, field
from typing import ClassVar

from silcrow.tools.base import ToolError, ToolResult, Workspace
from silcrow.tools.builtin._base import BuiltinTool, arg_schema, policy_for
from silcrow.tools.filesearch import Glob, SearchScope, files, hits
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.search_text import line_matcher
from silcrow.tools.walk import shown

LINE_WIDTH = 200
COUNT_FACTOR = 50  # matches counted past the shown ones: max_results * COUNT_FACTOR


@dataclass
class _Found:
    limit: int
    most: int
    shown: list[tuple[str, int, str]] = field(default_factory=list)
    total: int = 0

    def add(self, rel: str, line: int = 0, text: str = "") -> bool:
        """Count one result; False once ``most`` results were counted (stop searching)."""
        self.total += 1
        if len(self.shown) < self.limit:
            self.shown.append((rel, line, text))
        return self.total < self.most

    def lines(self) -> list[str]:
        return [
            f"{shown(rel)}:{line}: {text.strip()[:LINE_WIDTH]}" if line else shown(rel)
            for rel, line, text in sorted(self.shown)
        ]


class FindTool(BuiltinTool):
    name = "find"
    description = (
        "Find files by glob pattern and/or lines containing text (regex=true for a "
        "regular expression), honouring .gitignore. Give pattern, text, or both. Binary "
        "files, very large files and secret-looking files are not searched."
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
        self,
        workspace: Workspace,
        *,
        max_results: int = 200,
        max_file_bytes: int = 2 * 1024 * 1024,
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
        if not start.is_dir():
            rel = start.relative_to(self.workspace.root).as_posix()
            raise ToolError(f"{rel} is not a folder; path must be a folder")
        glob = Glob(pattern) if pattern else None
        needle = line_matcher(text, regex=regex) if text else None
        scope = SearchScope(self.workspace.root, policy_for(self.workspace), self.max_file_bytes)
        if isinstance(self.workspace, LocalWorkspace):
            scope.index = self.workspace.index
        found = _Found(self.max_results, self.max_results * COUNT_FACTOR)
        complete = True
        if needle is not None and text:
            async with aclosing(
                hits(scope, start, needle, text=text, regex=regex, glob=glob)
            ) as it:
                async for file_hits in it:
                    if not all(found.add(h.rel, h.line, h.text) for h in file_hits):
                        complete = False
                        break
        elif glob is not None:
            async with aclosing(files(scope, start, glob)) as listed:
                async for batch in listed:
                    if not all(found.add(rel) for rel in batch):
                        complete = False
                        break
        return self._result(found, complete, scope.notes, pattern, text)

    def _result(
        self, found: _Found, complete: bool, notes: list[str], pattern: str | None, text: str | None
    ) -> ToolResult:
        what = "matches" if text else "files"
        lines = found.lines() or [f"no {what} found"]
        left = found.total - len(found.shown)
        if left or not complete:
            more = f"{left} more" if complete else f"at least {left} more"
            lines.append(f"[{more} {what} not shown; narrow the pattern or path]")
        lines.extend(f"[note: {note}]" for note in dict.fromkeys(notes))
        label = " ".join(
            x for x in (pattern and f"pattern {pattern!r}", text and f"text {text!r}") if x
        )
        count = found.total if complete else f"{found.total}+"
        return ToolResult(f"Found {count} {what} for {label}", "\n".join(lines))
