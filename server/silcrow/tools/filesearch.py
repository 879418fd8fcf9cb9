"""Finding files by glob and lines by text in a workspace: ripgrep picks, Python confirms.

``find`` and the benchmarks use this module; it owns which files are
searched and what counts as a match.

Algorithm:
1. Scope. ``SearchScope`` holds the root, the path policy, the size limit
   and the rg binary (``silcrow.tools.rg.locate``). The folder searched
   (``start``) is given to rg relative to the root, with the flags that make
   rg see the tree ``silcrow.tools.walk`` sees. rg applies the
   ``.gitignore`` files of ``start`` and below; those of the folders above
   ``start`` (up to the root) are applied here to each path rg yields
   (``GitIgnore``), and only when such a file exists.
2. Files by glob (``files``). A glob without ``/`` matches a file's name
   (``*.py``); one with ``/`` is matched, gitignore-style, on the path from
   the root (``src/**/test_*.py``). A simple name glob goes to rg as a file
   type (``--type-add``, which, unlike ``--glob``, keeps ``.gitignore`` in
   force) and rg's answer is taken as is (a name of letters, digits and
   ``. _ - * ? [ ]`` means the same to both); any other glob is checked on
   every path rg lists, on RE2 (``pathspec``). When the scope carries the
   workspace's warm, complete file index, a simple name glob is answered
   from it instead (``FileIndex.files_below``: the same tree, each folder's
   mtime checked first) with one compiled ``fnmatch`` pattern on the names.
3. Lines by text (``hits``). rg lists the files whose raw text matches
   (``--files-with-matches``; a literal with ``--fixed-strings``, a regular
   expression rewritten by ``silcrow.tools.rgpattern`` so rg finds at least
   what RE2 finds). Each listed file is then read again here: confined,
   secret-looking names refused, opened with no symlink followed at any
   step, a regular file within the size limit, no NUL
   byte, no private key block, and redacted (``silcrow.tools.redact``); the
   line matcher (RE2) runs on the redacted text. A file rg listed only
   because a secret matched yields nothing, and is not counted anywhere: no
   answer depends on what a secret holds. Files are confirmed in one
   worker thread, ``CONFIRM_BATCH`` at a time, while the next candidates are
   read from rg; each file is opened through a ``TreeReader``
   (``silcrow.tools.treeread``: folder descriptors reused within a batch, no
   symlink followed, so the file is inside the root by construction and
   only ``PathPolicy.readable_name`` is left of ``for_read``), and the
   environment's secret values are read once per batch. Results keep rg's
   order. The labels (``[redacted:<kind>]``) are not in the files rg
   reads, so a search text that holds the word ``redacted`` is searched
   without rg (step 4): every file's redacted text is matched.
4. Without rg (none found, or rg refused the pattern) the tree is walked in
   Python (``silcrow.tools.walk``) and each file checked the same way, up to
   ``FALLBACK_MAX_FILES`` files; ``notes`` says so.
5. Stopping the iteration (enough results, a cancelled call) kills rg at
   once (``silcrow.tools.rg.records``); worker threads stop at their next
   deadline checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pathspec

from silcrow.tools.base import ToolError
from silcrow.tools.deadline import checkpoint
from silcrow.tools.fileindex import FileIndex
from silcrow.tools.paths import PathPolicy, fnmatch_any, relative
from silcrow.tools.redact import EnvNeedles, env_needles, redact
from silcrow.tools.rg import RgError, locate, records, tree_flags
from silcrow.tools.rgpattern import rg_regex
from silcrow.tools.search_text import LineMatcher
from silcrow.tools.treeread import TreeReader
from silcrow.tools.walk import GitIgnore, walk

CONFIRM_BATCH = 256  # files per worker-thread hand-off (step 3)
FALLBACK_MAX_FILES = 20_000
LABEL_WORD = "redacted"  # in the search text: it may look for redaction labels (step 3)
_SIMPLE_NAME_GLOB = re.compile(r"[A-Za-z0-9_.*?\-\[\]]+")


@dataclass(frozen=True, slots=True)
class Hit:
    rel: str  # path from the workspace root
    line: int  # 1-based, numbered as ``read`` numbers lines
    text: str  # the line, from the redacted text


@dataclass
class SearchScope:
    """Where and how one search runs (step 1); ``notes`` collects what the caller should say."""

    root: Path
    policy: PathPolicy
    max_file_bytes: int
    rg: Path | None = field(default_factory=locate)
    index: FileIndex | None = None  # the workspace's warm file index, when it keeps one
    notes: list[str] = field(default_factory=list)


def name_glob(pattern: str) -> pathspec.GitIgnoreSpec:
    """The model's glob, matched by re2 (linear time: ``*a*a*a*b`` cannot backtrack)."""
    try:
        return pathspec.GitIgnoreSpec.from_lines([pattern], backend="re2")
    except Exception as exc:  # re2's and pathspec's errors have no common base
        raise ToolError(
            f"pattern {pattern!r} cannot be used as a glob ({exc}); give a simpler glob such as '*.py'"
        ) from None


class Glob:
    """Step 2: a name glob (no ``/``) or a path glob, and its rg pre-filter."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.by_name = "/" not in pattern.rstrip("/")
        self.spec = name_glob(pattern)

    def matches(self, rel: str) -> bool:
        return self.spec.match_file(PurePosixPath(rel).name if self.by_name else rel)

    @property
    def simple(self) -> bool:
        """A name glob of letters, digits and ``. _ - * ? [ ]``: the same to rg, git and fnmatch."""
        return self.by_name and _SIMPLE_NAME_GLOB.fullmatch(self.pattern) is not None

    def rg_flags(self) -> list[str]:
        if self.simple:
            return [f"--type-add=silcrowglob:{self.pattern}", "--type=silcrowglob"]
        return []

    def names_matching(self, rels: list[str]) -> list[str]:
        """``rels`` whose name a simple glob matches (one compiled pattern, no per-path objects)."""
        assert self.simple
        named = fnmatch_any((self.pattern,)).match
        return [rel for rel in rels if named(rel.rpartition("/")[2])]


def read_searchable(
    policy: PathPolicy, reader: TreeReader, rel: str, max_bytes: int, needles: EnvNeedles
) -> str | None:
    """The file's text, redacted, or None when it is not to be searched (step 3)."""
    if not policy.readable_name(rel):
        return None
    try:
        data = reader.read(rel, max_bytes)
    except (OSError, ValueError):
        return None
    if data is None or b"\x00" in data:
        return None
    text = data.decode("utf-8", errors="replace")
    try:
        return redact(policy.check_content(rel, text), needles)
    except ToolError:
        return None


def _confirm(scope: SearchScope, rels: list[str], needle: LineMatcher) -> list[list[Hit]]:
    """Each of ``rels``' hits (an empty list for a file with none), read by one ``TreeReader``."""
    needles = env_needles()
    out: list[list[Hit]] = []
    try:
        reader = TreeReader(scope.policy.root)
    except OSError:  # the root itself went (or became a symlink): nothing to read
        return [[] for _ in rels]
    with reader:
        for rel in rels:
            checkpoint()
            body = read_searchable(scope.policy, reader, rel, scope.max_file_bytes, needles)
            out.append([] if body is None else [Hit(rel, n, line) for n, line in needle(body)])
    return out


class _AboveStart:
    """The ``.gitignore`` rules of the folders from the root down to ``start``'s parent (step 1)."""

    def __init__(self, root: Path, start: Path) -> None:
        self.ignore = GitIgnore(root)
        folders = [start.parent, *start.parent.parents] if start != root else []
        self.active = any(
            (f / ".gitignore").is_file() for f in folders if f == root or f.is_relative_to(root)
        )

    def keeps(self, rel: str) -> bool:
        return not self.active or not self.ignore.ignored(rel, False)


async def _rg_paths(
    scope: SearchScope, start: Path, flags: list[str]
) -> AsyncGenerator[list[str], None]:
    assert scope.rg is not None
    where = relative(scope.root, start)
    # no path for the root itself (stdin is /dev/null, so rg searches its working folder):
    # rg then prints paths without a "./" to strip
    argv = [str(scope.rg), *tree_flags(scope.max_file_bytes), *flags]
    argv += [] if where == "." else ["--", where]
    above = _AboveStart(scope.root, start)
    async with aclosing(records(argv, scope.root)) as found:
        async for batch in found:
            yield [rel for rel in batch if above.keeps(rel)] if above.active else batch


async def files(scope: SearchScope, start: Path, glob: Glob) -> AsyncGenerator[list[str], None]:
    """Paths (from the root) of the files under ``start`` that ``glob`` matches, in batches (step 2)."""
    if scope.index is not None and glob.simple:
        where = relative(scope.root, start)
        indexed = await asyncio.to_thread(
            scope.index.files_below, "" if where == "." else where, scope.max_file_bytes
        )
        if indexed is not None:  # the warm index holds the whole tree: no walk at all
            scope.notes.extend(scope.index.notes())  # .gitignore files it could not apply
            yield glob.names_matching(indexed)
            return
    if scope.rg is None:
        walked = await asyncio.to_thread(_walked, scope, start)
        yield [rel for rel in walked if glob.matches(rel)]
        return
    prefilter = glob.rg_flags()  # rg applies a simple name glob exactly: no second check
    async with aclosing(_rg_paths(scope, start, ["--files", *prefilter])) as listed:
        async for batch in listed:
            yield batch if prefilter else [rel for rel in batch if glob.matches(rel)]


def _rg_text_flags(text: str, regex: bool) -> list[str]:
    if regex:
        return ["--files-with-matches", "--regexp", rg_regex(text)]
    return ["--files-with-matches", "--fixed-strings", "--regexp", text]


async def hits(
    scope: SearchScope,
    start: Path,
    needle: LineMatcher,
    *,
    text: str,
    regex: bool,
    glob: Glob | None = None,
) -> AsyncGenerator[list[Hit], None]:
    """Each matching file's hits, file by file, as they are confirmed (step 3)."""
    if "\n" in text or "\r" in text:
        return  # a match never spans two lines
    if scope.rg is not None and LABEL_WORD not in text.lower():
        flags = _rg_text_flags(text, regex) + (glob.rg_flags() if glob else [])
        try:
            async with aclosing(
                _confirmed(scope, _rg_paths(scope, start, flags), needle, glob)
            ) as confirmed:
                async for found in confirmed:
                    yield found
            return
        except RgError as exc:
            scope.notes.append(f"searched without ripgrep, which refused the pattern: {exc}")
    walked = _listed(await asyncio.to_thread(_walked, scope, start))
    async with aclosing(_confirmed(scope, walked, needle, glob)) as confirmed:
        async for found in confirmed:
            yield found


async def _listed(rels: list[str]) -> AsyncGenerator[list[str], None]:
    yield rels


async def _confirmed(
    scope: SearchScope,
    candidates: AsyncGenerator[list[str], None],
    needle: LineMatcher,
    glob: Glob | None,
) -> AsyncGenerator[list[Hit], None]:
    """Confirm candidates in a worker thread, a batch at a time, in rg's order.

    While one batch is confirmed, the next candidates are read from rg (so rg
    never waits on us) and queue up as the next batch; each confirmed file's
    hits are yielded as soon as its batch is done.
    """
    queued: list[str] = []  # candidates read from rg, not yet handed to the worker
    working: asyncio.Future[list[list[Hit]]] | None = None
    upcoming: asyncio.Future[list[str] | None] | None = None
    exhausted = False
    try:
        while True:
            if working is None and queued:
                batch, queued = queued[:CONFIRM_BATCH], queued[CONFIRM_BATCH:]
                working = asyncio.ensure_future(asyncio.to_thread(_confirm, scope, batch, needle))
            if not exhausted and upcoming is None:
                upcoming = asyncio.ensure_future(anext(candidates, None))
            waiting = [f for f in (upcoming, working) if f is not None]
            if not waiting:
                return
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if working is not None and working.done():
                done, working = working.result(), None
                for found in done:
                    if found:
                        yield found
            if upcoming is not None and upcoming.done():
                batch_in, upcoming = upcoming.result(), None
                if batch_in is None:
                    exhausted = True
                else:
                    queued.extend(r for r in batch_in if glob is None or glob.matches(r))
    finally:
        if upcoming is not None:
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await upcoming
        await candidates.aclose()
        if working is not None:
            working.cancel()


def _walked(scope: SearchScope, start: Path) -> list[str]:
    """Step 4: the files under ``start`` as the walker sees them, at most ``FALLBACK_MAX_FILES``."""
    if scope.rg is None:
        scope.notes.append(
            "ripgrep (rg) was not found, so the search walked the tree in Python "
            f"(at most {FALLBACK_MAX_FILES} files); install the ripgrep package for speed"
        )
    out: list[str] = []
    ignore = GitIgnore(scope.root)
    for rel in _files_walked(scope.root, start, ignore):
        if len(out) >= FALLBACK_MAX_FILES:
            scope.notes.append(
                f"stopped after {FALLBACK_MAX_FILES} files; search a subfolder for the rest"
            )
            break
        out.append(rel)
    scope.notes.extend(ignore.notes)
    return out


def _files_walked(root: Path, start: Path, ignore: GitIgnore) -> Iterator[str]:
    for entry in walk(root, start, depth=None, ignore=ignore):
        if not entry.is_dir and not entry.is_link:
            yield entry.rel
