"""Walking a workspace tree: deterministic order, ``.git`` skipped, ``.gitignore`` obeyed.

Algorithm:
1. ``GitIgnore`` loads each directory's ``.gitignore`` once (``pathspec``'s
   git-compatible matcher) and asks every ancestor's rules, nearest last, so
   a nested file can re-include what a parent excluded.
2. Matching is linear in the path: the rules are compiled for ``re2``
   (``backend="re2"``, one ``re2.Set`` per file), never for Python's
   backtracking ``re``, where ``*a*a*a*a*a*a*a*a*b`` against a long name of
   ``a``'s takes minutes while holding the GIL. A ``.gitignore`` above
   ``MAX_IGNORE_BYTES`` or ``MAX_RULES`` rules, or whose rules ``re2`` cannot
   compile within its memory budget, is not applied; ``GitIgnore.notes``
   says which and why, for the tool to show.
3. ``walk`` lists a directory with ``os.scandir``, sorted by name, skipping
   ``.git`` and ignored entries, and descends depth-first in name order, up
   to ``depth`` levels. Symlinked directories are listed but
   never entered, so a walk cannot leave the root or loop. Each entry is a
   ``checkpoint()`` of the current tool deadline (``silcrow.tools.deadline``).
4. Names are what ``os.scandir`` gives: a name that is not UTF-8 keeps its
   bytes as surrogates (it opens again); ``shown(rel)`` is its printable
   form (``bad\\xff.txt``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from silcrow.tools.deadline import checkpoint
from silcrow.tools.undecodable import valid_utf8

SKIP_DIRS = frozenset({".git"})
MAX_IGNORE_BYTES = 256 * 1024
MAX_RULES = 1000  # pathspec's re2.Set stops compiling somewhere above this many rules


@dataclass(frozen=True, slots=True)
class Entry:
    rel: str  # POSIX path relative to the root
    path: Path
    is_dir: bool
    is_link: bool
    size: int


def shown(rel: str) -> str:
    """A name as people and JSON see it: undecodable bytes written ``\\xNN``."""
    return valid_utf8(rel)


class GitIgnore:
    """The ``.gitignore`` rules of a tree, loaded lazily per directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notes: list[str] = []  # .gitignore files not applied, and why
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def _spec(self, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        if rel_dir not in self._specs:
            self._specs[rel_dir] = self._load(rel_dir)
        return self._specs[rel_dir]

    def _load(self, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        path = self.root / rel_dir / ".gitignore"
        where = shown(f"{rel_dir}/.gitignore" if rel_dir else ".gitignore")
        try:
            with path.open("rb") as f:
                data = f.read(MAX_IGNORE_BYTES + 1)
        except OSError:
            return None
        if len(data) > MAX_IGNORE_BYTES:
            self._skip(where, f"larger than {MAX_IGNORE_BYTES // 1024} KiB")
            return None
        lines = data.decode("utf-8", errors="replace").splitlines()
        rules = sum(1 for ln in lines if ln.strip() and not ln.startswith("#"))
        if not rules:
            return None
        if rules > MAX_RULES:
            self._skip(where, f"{rules} rules, more than {MAX_RULES}")
            return None
        try:
            return pathspec.GitIgnoreSpec.from_lines(lines, backend="re2")
        except Exception as exc:  # re2's "failed to compile Set" (memory budget), a bad rule
            self._skip(where, f"its rules do not compile for linear-time matching ({exc})")
            return None

    def _skip(self, where: str, why: str) -> None:
        self.notes.append(f"{where} not applied: {why}")

    def ignored(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        suffix = "/" if is_dir else ""
        verdict = False
        for level in range(len(parts)):  # each folder above rel: the root first, nearest last
            spec = self._spec("/".join(parts[:level]))
            if spec is None:
                continue
            result = spec.check_file("/".join(parts[level:]) + suffix)
            if result.include is not None:
                verdict = result.include
        return verdict


def walk(root: Path, start: Path, *, depth: int | None, ignore: GitIgnore) -> Iterator[Entry]:
    """Entries under ``start`` (not ``start`` itself), name-sorted, depth-first."""
    yield from _walk(root, start, depth, ignore, 1)


def _walk(
    root: Path, here: Path, depth: int | None, ignore: GitIgnore, level: int
) -> Iterator[Entry]:
    try:
        with os.scandir(here) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for item in items:
        checkpoint()
        if item.name in SKIP_DIRS:
            continue
        entry = _entry(root, item)
        if entry is None or ignore.ignored(entry.rel, entry.is_dir):
            continue
        yield entry
        if entry.is_dir and not entry.is_link and (depth is None or level < depth):
            yield from _walk(root, entry.path, depth, ignore, level + 1)


def dirent_facts(item: os.DirEntry[str]) -> tuple[bool, bool, int] | None:
    """``(is_dir, is_link, size)`` of a directory entry, never following a link; None if it vanished."""
    try:
        is_link = item.is_symlink()
        is_dir = item.is_dir(follow_symlinks=False)
        size = 0 if is_dir else item.stat(follow_symlinks=False).st_size
    except OSError:
        return None
    return is_dir, is_link, size


def _entry(root: Path, item: os.DirEntry[str]) -> Entry | None:
    facts = dirent_facts(item)
    if facts is None:
        return None
    path = Path(item.path)
    return Entry(path.relative_to(root).as_posix(), path, *facts)
