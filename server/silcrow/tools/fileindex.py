"""A workspace's file tree in memory: folder listings for ``list``, names for mentions.

The index answers "what is in this folder" and "which files are called
like this" without touching the disk, so ``list`` and ``silcrow/mentions``
stay fast on a 100,000-file workspace. It holds names, kinds and sizes,
never file contents.

Algorithm:
1. ``build()`` (in a worker thread, started with the workspace, never
   awaited by ``initialize`` or a prompt) scans folders breadth-first with
   ``os.scandir``, in the walker's terms (``silcrow.tools.walk``): ``.git``
   skipped, ``.gitignore`` obeyed, symlinked folders listed but not entered.
   Each scanned folder keeps its children and its ``mtime_ns``.
2. Memory is bounded: past ``max_entries`` entries the build stops and the
   index is *partial*: the folders scanned so far (the shallowest, since the
   scan is breadth-first) are complete, the rest are unknown; ``notice``
   says so once. Answers about unknown folders are ``None`` and the caller
   walks the disk.
3. ``changed(paths)`` takes the watcher's changed paths: their folders are
   rescanned (a folder that appeared is scanned, one that went is dropped
   with everything below it); a changed ``.gitignore`` rescans its whole
   folder tree under fresh rules.
4. ``listing(start, depth)`` answers ``list``: entries below ``start`` up to
   ``depth`` levels, name-sorted, depth-first, as ``walk`` gives them. Before
   answering, each folder's ``mtime_ns`` is compared with the disk and a
   folder that changed is rescanned first, so files created or removed a
   moment ago (before the watcher said so) are listed right.
5. ``mentions(query, limit)`` answers ``silcrow/mentions``: entries whose
   name starts with the query (case-insensitive; a bisection in a sorted
   name list kept up to date by every rescan), shortest path first (among
   the first ``MAX_RANKED`` such names), then, if there is room, entries
   whose path holds the query (``str.find`` over one lower-case string of
   every path, built at the end of the build and after each batch of
   changes, in the worker thread).
6. ``files_below(start, max_bytes)`` answers ``find`` by glob: every file
   (not a folder, not a symlink) below ``start`` of at most ``max_bytes``,
   each folder's ``mtime_ns`` checked first as in step 4; None unless the
   index is complete (``ready``) and holds ``start``.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import os
import threading
from array import array
from collections import deque
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Literal, NamedTuple

from silcrow.tools.walk import SKIP_DIRS, GitIgnore, dirent_facts

DEFAULT_MAX_ENTRIES = 200_000
MAX_RANKED = 2_000  # names ranked for one mentions query (a one-letter query matches thousands)
State = Literal["cold", "building", "ready", "partial"]
Item = tuple[str, bool, bool, int]  # a Node's fields: name, is_dir, is_link, size


class Node(NamedTuple):  # a tuple: 100,000 of them are made in a build, cheaply
    name: str
    is_dir: bool
    is_link: bool
    size: int


def join_rel(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _key(folder: str, name: str) -> tuple[str, str, str]:
    lower = name.lower()
    return (name if lower == name else lower, folder, name)  # one string when already lower-case


class FileIndex:
    """The file tree of ``root``, kept in memory (see the module docstring)."""

    def __init__(self, root: Path, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.root = root
        self.max_entries = max_entries
        self.state: State = "cold"
        self.notice: str | None = None
        self._ignore = GitIgnore(root)
        self._folders: dict[str, dict[str, Node]] = {}
        self._mtimes: dict[str, int] = {}
        # (lower-case name, folder, name) of every entry, sorted; the folder strings are shared
        self._names: list[tuple[str, str, str]] = []
        self._entries = 0
        self._haystack: str | None = (
            None  # every path, lower-cased, one per line (substring search)
        )
        self._hay_starts = array("q")  # where each entry of _names starts in the haystack
        self._lock = threading.RLock()
        self._stop = threading.Event()

    # -- building ---------------------------------------------------------------------------
    def build(self) -> None:
        """Step 1: scan the tree breadth-first (blocking; run it in a worker thread)."""
        self.begin()
        self.finish(self._scan_below(""))

    def begin(self) -> None:
        """A build starts: until ``finish``, names are kept unsorted."""
        with self._lock:
            self.state = "building"

    def install(self, folder: str, items: Iterable[Item], mtime_ns: int) -> None:
        """A folder read elsewhere (``silcrow.tools.indexchild``) during a build (after ``begin``).

        A folder already held was rescanned here after a watched change, which
        is at least as recent, and is kept.
        """
        with self._lock:
            if folder in self._folders or self._stop.is_set():
                return
            nodes = {item[0]: Node(*item) for item in items}
            self._folders[folder] = nodes
            self._mtimes[folder] = mtime_ns
            self._names.extend([_key(folder, name) for name in nodes])  # sorted by ``finish``
            self._entries += len(nodes)
            self._haystack = None

    def finish(self, complete: bool, notes: Iterable[str] = ()) -> None:
        """The build is over; ``complete`` is False when the entry limit stopped it (step 2)."""
        with self._lock:
            self._ignore.notes.extend(notes)
            self._names.sort()
            # a change seen before its folder was installed left an older read: check each
            for folder in list(self._folders):
                self._refresh(folder)
            self._haystack_now()
            self.state = "ready" if complete else "partial"
            if not complete:
                self.notice = (
                    f"the workspace has more than {self.max_entries} files and folders; "
                    f"the index holds the first {self._entries} (shallowest first); "
                    "lists walk the disk below that, mentions cover the indexed part"
                )

    def stop(self) -> None:
        self._stop.set()

    def _scan_below(self, top: str) -> bool:
        """Scan ``top`` and every folder below it; False when the entry limit stopped it."""
        queue = deque([top])
        while queue:
            if self._stop.is_set():
                return False
            folder = queue.popleft()
            with self._lock:
                if self._entries >= self.max_entries:
                    return False
                children = self._rescan(folder)
            if children is not None:
                queue.extend(
                    join_rel(folder, n.name) for n in children if n.is_dir and not n.is_link
                )
        return True

    def _rescan(self, folder: str) -> list[Node] | None:
        """Read ``folder`` again; returns its child folders that are new (to scan next)."""
        read = read_folder(self.root, self._ignore, folder)
        if read is None:
            self._drop(folder)
            return None
        return self._apply(folder, *read)

    def _apply(self, folder: str, nodes: dict[str, Node], mtime: int) -> list[Node]:
        """Make ``nodes`` ``folder``'s children; returns the child folders that are new."""
        old = self._folders.get(folder, {})
        for name, node in old.items():
            if name not in nodes or nodes[name].is_dir != node.is_dir:
                self._forget(folder, node)
        fresh = []
        for name, node in nodes.items():
            if name not in old or old[name].is_dir != node.is_dir:
                self._remember(folder, node)
                fresh.append(node)
        self._folders[folder] = nodes
        self._mtimes[folder] = mtime
        return fresh

    def _remember(self, folder: str, node: Node) -> None:
        if self.state == "building":  # sorted once at the end of the build
            self._names.append(_key(folder, node.name))
        else:
            bisect.insort(self._names, _key(folder, node.name))
        self._entries += 1
        self._haystack = None

    def _forget(self, folder: str, node: Node) -> None:
        key = _key(folder, node.name)
        if self.state == "building":
            self._names.remove(key)
            self._entries -= 1
        else:
            at = bisect.bisect_left(self._names, key)
            if at < len(self._names) and self._names[at] == key:
                del self._names[at]
                self._entries -= 1
        self._haystack = None
        if node.is_dir:
            self._drop(join_rel(folder, node.name))

    def _drop(self, folder: str) -> None:
        """Forget ``folder``'s scan and everything below it."""
        children = self._folders.pop(folder, None)
        self._mtimes.pop(folder, None)
        for node in (children or {}).values():
            self._forget(folder, node)

    # -- changes ----------------------------------------------------------------------------
    def changed(self, paths: Iterable[Path]) -> None:
        """Step 3: rescan the folders of the paths the watcher saw change (blocking)."""
        folders: set[str] = set()
        rules: set[str] = set()
        for path in paths:
            try:
                rel = path.relative_to(self.root).as_posix()
            except ValueError:
                continue
            pure = PurePosixPath(rel)
            if rel == "." or SKIP_DIRS.intersection(pure.parts):
                continue
            parent = "" if str(pure.parent) == "." else str(pure.parent)
            (rules if pure.name == ".gitignore" else folders).add(parent)
        with self._lock:
            if rules:
                self._ignore = GitIgnore(self.root)
            for folder in sorted(rules):
                self._drop(folder)
            for folder in sorted(folders - rules):
                if folder in self._folders:
                    self._rescan_and_descend(folder)
        for folder in sorted(rules):
            self._scan_below(folder)
        with self._lock:
            if self._haystack is None and self.state != "building":
                self._haystack_now()  # here, in the watcher's worker thread, not in a query

    def _rescan_and_descend(self, folder: str) -> None:
        for node in self._rescan(folder) or []:
            if node.is_dir and not node.is_link:
                self._scan_below(join_rel(folder, node.name))

    # -- answers ----------------------------------------------------------------------------
    def listing(self, start: str, depth: int) -> list[tuple[str, Node]] | None:
        """Step 4: ``(path, node)`` below ``start`` as ``walk`` lists them, or None if not all indexed."""
        with self._lock:
            if self.state == "cold" or start not in self._folders:
                return None
            out: list[tuple[str, Node]] = []
            if not self._list_into(start, depth, 1, out):
                return None
            return out

    def _list_into(self, folder: str, depth: int, level: int, out: list[tuple[str, Node]]) -> bool:
        self._refresh(folder)
        nodes = self._folders.get(folder)
        if nodes is None:
            return False
        for name in sorted(nodes):
            node = nodes[name]
            rel = join_rel(folder, name)
            out.append((rel, node))
            if node.is_dir and not node.is_link and level < depth:
                if not self._list_into(rel, depth, level + 1, out):
                    return False
        return True

    def _refresh(self, folder: str) -> None:
        """Rescan ``folder`` first when the disk says it changed since its scan."""
        try:
            now = os.stat(self.root / folder, follow_symlinks=False).st_mtime_ns
        except OSError:
            now = None
        if folder in self._folders and now != self._mtimes.get(folder):
            self._rescan_and_descend(folder)

    def files_below(self, start: str, max_bytes: int) -> list[str] | None:
        """Step 6: paths of the files below ``start`` (at most ``max_bytes``), or None."""
        with self._lock:
            if self.state != "ready" or start not in self._folders:
                return None
            out: list[str] = []
            folders = [start]
            while folders:
                folder = folders.pop()
                self._refresh(folder)
                nodes = self._folders.get(folder)
                if nodes is None:
                    return None
                for name, node in nodes.items():
                    if node.is_link:
                        continue
                    if node.is_dir:
                        folders.append(join_rel(folder, name))
                    elif node.size <= max_bytes:
                        out.append(join_rel(folder, name))
            return out

    def mentions(self, query: str, limit: int) -> list[tuple[str, bool]]:
        """Step 5: ``(path, is_folder)`` of entries named like ``query``, best first."""
        needle = query.strip().lower()
        with self._lock:
            if not needle:
                return []
            found = [join_rel(f, n) for _, f, n in self._prefixed(needle, limit)]
            if len(found) < limit:
                seen = set(found)
                inside = [r for r in self._holding(needle, 4 * limit) if r not in seen]
                inside.sort(key=lambda rel: (len(rel), rel))
                found += inside[: limit - len(found)]
            return [(rel, self._is_folder(rel)) for rel in found]

    def _prefixed(self, needle: str, limit: int) -> list[tuple[str, str, str]]:
        """The ``limit`` shortest paths among the first ``MAX_RANKED`` names starting with ``needle``."""
        keys: Iterable[tuple[str, str, str]]
        if self.state == "building":  # the name list is sorted at the end of the build
            keys = (k for k in self._names if k[0].startswith(needle))
        else:
            at = bisect.bisect_left(self._names, (needle, "", ""))
            keys = itertools.takewhile(
                lambda k: k[0].startswith(needle), itertools.islice(self._names, at, None)
            )
        return heapq.nsmallest(
            limit, itertools.islice(keys, MAX_RANKED), key=lambda k: (len(k[1]) + len(k[2]), k)
        )

    def _haystack_now(self) -> None:
        """Build the lower-case string of every path (the build and each change do, not a query)."""
        rels = [join_rel(folder, name).lower() for _, folder, name in self._names]
        self._hay_starts = array("q", itertools.accumulate((len(r) + 1 for r in rels), initial=1))
        self._haystack = "\n" + "\n".join(rels) + "\n"

    def _holding(self, needle: str, most: int) -> list[str]:
        """Up to ``most`` paths that hold ``needle`` (lower-case), by ``str.find`` over one string."""
        if self._haystack is None:
            self._haystack_now()
        assert self._haystack is not None
        hay, pos = self._haystack, 0
        found: list[str] = []
        while len(found) < most and (at := hay.find(needle, pos)) >= 0:
            _, folder, name = self._names[bisect.bisect_right(self._hay_starts, at) - 1]
            found.append(join_rel(folder, name))
            pos = hay.find("\n", at)
        return found

    def _is_folder(self, rel: str) -> bool:
        pure = PurePosixPath(rel)
        parent = "" if str(pure.parent) == "." else str(pure.parent)
        node = self._folders.get(parent, {}).get(pure.name)
        return node is not None and node.is_dir and not node.is_link

    def notes(self) -> list[str]:
        """The ``.gitignore`` files the index could not apply, and why (``GitIgnore.notes``)."""
        with self._lock:
            return list(self._ignore.notes)

    def __len__(self) -> int:
        return self._entries


def read_folder(root: Path, ignore: GitIgnore, folder: str) -> tuple[dict[str, Node], int] | None:
    """``folder``'s children as the index keeps them, and its ``mtime_ns``; None if unreadable."""
    path = root / folder if folder else root
    nodes: dict[str, Node] = {}
    try:
        mtime = os.stat(path, follow_symlinks=False).st_mtime_ns
        with os.scandir(path) as it:
            for item in it:
                node = _node(item)
                if node is None or item.name in SKIP_DIRS:
                    continue
                if ignore.ignored(join_rel(folder, item.name), node.is_dir):
                    continue
                nodes[item.name] = node
    except OSError:
        return None
    return nodes, mtime


def _node(item: os.DirEntry[str]) -> Node | None:
    facts = dirent_facts(item)
    return None if facts is None else Node(item.name, *facts)
