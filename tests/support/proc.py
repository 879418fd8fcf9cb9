"""Finding processes by a mark in their command line (tests that must prove a process is gone)."""

from __future__ import annotations

import os
from pathlib import Path


def marked(mark: str) -> list[int]:
    """Pids of live (not zombie) processes, other than this one, whose command line holds ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if mark.encode() in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found
