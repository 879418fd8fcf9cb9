"""Walking a workspace tree: deterministic order, ``.git`` skipped, ``.gitignore`` obeyed.

Algorithm:
1. ``GitIgnore`` loads each directory's ``.gitignore`` once (``pathspec``'s
   git-compatible matcher) and asks every ancestor's rules, nearest last, so
   a nested file can re-include what a parent excluded.
2. ``walk`` lists a directory with ``os.scandir``, sorted by name, skipping
   ``.git`` and ignored entries, and descends depth-first in name order, up
   to ``depth`` levels. Symlinked directories are listed but
   never entered, so a walk cannot leave the root or loop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec

SKIP_DIRS = frozenset({".git"})


@dataclass(frozen=True, slots=True)
class Entry:
    rel: str  # POSIX path relative to the root
    path: Path
    is_dir: bool
    is_link: bool
    size: int


class GitIgnore:
    """The ``.gitignore`` rules of a tree, loaded lazily per directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def _spec(self, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        if rel_dir not in self._specs:
            path = self.root / rel_dir / ".gitignore"
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            self._specs[rel_dir] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        return self._specs[rel_dir]

    def ignored(self, rel: str, is_dir: bool) -> bool:
        pure = PurePosixPath(rel)
        verdict = False
        parents = [*reversed(pure.parents)]  # "." first, nearest last
        for parent in parents:
            spec = self._spec("" if str(parent) == "." else str(parent))
            if spec is None:
                continue
            sub = pure.relative_to(parent).as_posix() + ("/" if is_dir else "")
            result = spec.check_file(sub)
            if result.include is not None:
                verdict = result.include
        return verdict


def walk(root: Path, start: Path, *, depth: int | None, ignore: GitIgnore) -> Iterator[Entry]:
    """Entries under ``start`` (not ``start`` itself), name-sorted, depth-first."""
    yield from _walk(root, start, depth, ignore, 1)


def _walk(root: Path, here: Path, depth: int | None, ignore: GitIgnore, level: int) -> Iterator[Entry]:
    try:
        with os.scandir(here) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for item in items:
        if item.name in SKIP_DIRS:
            continue
        entry = _entry(root, item)
        if entry is None or ignore.ignored(entry.rel, entry.is_dir):
            continue
        yield entry
        if entry.is_dir and not entry.is_link and (depth is None or level < depth):
            yield from _walk(root, entry.path, depth, ignore, level + 1)


def _entry(root: Path, item: os.DirEntry[str]) -> Entry | None:
    try:
        is_link = item.is_symlink()
        is_dir = item.is_dir(follow_symlinks=False)
        size = 0 if is_dir else item.stat(follow_symlinks=False).st_size
    except OSError:
        return None
    path = Path(item.path)
    return Entry(path.relative_to(root).as_posix(), path, is_dir, is_link, size)
