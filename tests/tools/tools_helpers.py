"""Shared test helpers for tests/tools (imported by name; tests/ has no packages)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SECRET = "OUTSIDE-SECRET-CONTENT"


@dataclass
class Layout:
    base: Path
    root: Path
    outside_file: Path
    outside_dir: Path
    sibling: Path


def make_layout(base: Path) -> Layout:
    """A workspace ``repo`` beside an outside folder, a sibling ``repo-old`` and escaping links."""
    root = base / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / ".silcrow").mkdir()
    (root / ".silcrow" / "store.db").write_text("db")
    outside_dir = base / "outside"
    outside_dir.mkdir()
    outside_file = outside_dir / "secret.txt"
    outside_file.write_text(SECRET)
    sibling = base / "repo-old"
    sibling.mkdir()
    (sibling / "notes.txt").write_text(SECRET)
    os.symlink(outside_file, root / "link_file.txt")
    os.symlink(outside_dir, root / "link_dir")
    (root / "deep").mkdir()
    os.symlink(outside_dir, root / "deep" / "middle")
    return Layout(base, root, outside_file, outside_dir, sibling)
