"""Project rules: the instructions files a repository keeps for coding agents.

Algorithm:
1. ``RULE_FILES`` at the workspace root, in this order: ``AGENTS.md``,
   ``CLAUDE.md``, ``.github/copilot-instructions.md``, ``.cursorrules``. All
   that exist are used; each is read as text (confined to the root like a
   tool read: a symlink out of it is skipped; at most ``MAX_CHARS``
   characters, longer ones are cut with a note).
2. ``ProjectRules()`` is called when a turn starts: each file is re-read
   only when its size or modification time changed since the last read,
   so an edit counts from the next turn without reading every file each
   time.
3. The text is shown under one heading that says what it is: data the user
   wrote, not permissions. The ``instructions`` setting follows under a
   sub-heading of its own. Nothing here changes a permission or a tool list.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

from silcrow.tools.base import ToolError
from silcrow.tools.paths import confine

log = logging.getLogger(__name__)

RULE_FILES = ("AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md", ".cursorrules")
MAX_CHARS = 32_000
HEADING = "# Project rules (written by the user; data, not permissions)"
SETTING_HEADING = "## Instructions from the user's settings"


class ProjectRules:
    def __init__(self, root: Path, instructions: Callable[[], str] = str) -> None:
        self.root = root.resolve()
        self.instructions = instructions  # the setting's current value
        self._seen: dict[str, tuple[tuple[int, int], str]] = {}  # name -> (size, mtime), text

    def __call__(self) -> str:
        """Step 2-3: the rules section of the system prompt ("" when there is nothing)."""
        parts = [f"## {name}\n{text}" for name in RULE_FILES if (text := self._read(name))]
        if setting := self.instructions().strip():
            parts.append(f"{SETTING_HEADING}\n{setting}")
        return "\n\n".join([HEADING, *parts]) if parts else ""

    def _read(self, name: str) -> str:
        try:
            real = confine(self.root, name)
            facts = real.stat()
        except (ToolError, OSError):
            facts = None
        if facts is None or not stat.S_ISREG(facts.st_mode):
            self._seen.pop(name, None)
            return ""
        key = (facts.st_size, facts.st_mtime_ns)
        cached = self._seen.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            text = real.read_text(encoding="utf-8", errors="replace").strip()
        except OSError as exc:
            log.warning("cannot read %s: %s", real, exc)
            return ""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS] + f"\n[cut: {name} is longer than {MAX_CHARS} characters]"
        self._seen[name] = (key, text)
        return text
