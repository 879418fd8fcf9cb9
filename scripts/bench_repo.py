"""Large-repository benchmark: search, find, list, mentions, start-up, memory, idle CPU, watching.

Run through ``scripts/bench [--quick] --only repo`` or ``python scripts/bench_repo.py [--quick]``;
``measure(quick)`` returns the figures. Trees live in a cache folder outside the repository
(``$SILCROW_BENCH_CACHE``, default ``~/.cache/silcrow-bench``):

* ``tree``: a generated 100,000-file tree (``tests/support/repotree.py``), made once;
* ``kernel`` (full run only): Debian's ``linux-source-6.12`` package, fetched with
  ``apt-get download`` and unpacked once (about 87,000 files). The package's top
  ``.gitignore`` ends with Debian's "ignore everything at the top level" (``/*``,
  ``!/debian/``), which would hide the whole tree from every gitignore-aware tool;
  those two lines are dropped, leaving the upstream kernel's rules.

Figures, per tree (each side by side with ``rg`` in the same run, warm page cache, median
of ``RUNS`` after one warm-up):

1. ``search``: ``silcrow.tools.filesearch.hits`` run to the end (every match, each file
   confirmed on its redacted text) for a literal, a regex and a regex with no match, vs
   ``rg --line-number`` with the same walk flags; ratio = ours / rg. The two match sets
   ``(path, line)`` are compared; files the security rules skip are listed apart and
   every other difference is counted and listed. Also: time to the first confirmed file.
2. ``find``: ``files(glob)`` vs ``rg --files -g GLOB`` (same flags), ratio; ``files`` is
   run as the daemon's ``find`` runs it, with the workspace's warm ``FileIndex``
   (built here first, in a worker thread), and also without an index (rg alone).
3. ``list``: ``ListTool`` on the root, depth 2, answered by that ``FileIndex``.
4. In a daemon (``silcrow serve``, scripted provider): ``initialize`` (spawn -> result)
   and ``silcrow/prompt`` -> first ``silcrow/event``, in the tree vs an empty folder
   (ratio); ``silcrow/mentions`` p50/p99 over name prefixes once the index is warm (the
   daemon and its children, the index build among them, have gone quiet); the daemon's
   RSS with the tree indexed; its CPU (children included) while idle with the watcher
   on, over ``IDLE_SECONDS``.
5. ``mentions_50k``: ``silcrow/mentions`` on a generated 50,000-file workspace: the first
   request after ``initialize``, a mentions request while the index builds, p50/p99 warm
   (``python scripts/bench_repo.py --mentions`` runs only this).
6. Stale-file awareness: a ``TreeWatcher`` on the tree; a read file is changed and the
   time until ``StaleFiles.notices`` names it is taken (p50 and max).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import aclosing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import CLOCK_TICKS, arguments, cpu_seconds, rss_mb
from reliability.procs import RawDaemon
from silcrow.lsp.watch import StaleFiles, TreeWatcher
from silcrow.tools.builtin.list_files import ListTool
from silcrow.tools.fileindex import FileIndex
from silcrow.tools.filesearch import Glob, SearchScope, files, hits
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.paths import PathPolicy, is_secret_name
from silcrow.tools.redact import warm_up
from silcrow.tools.rg import locate, tree_flags
from silcrow.tools.search_text import line_matcher
from support.repotree import MATCH_REGEX, NEEDLE, NO_MATCH_REGEX, make_tree

CACHE = Path(os.environ.get("SILCROW_BENCH_CACHE", Path.home() / ".cache" / "silcrow-bench"))
TREE_FILES = 100_000
MENTIONS_FILES = 50_000
RUNS = {True: 2, False: 5}
IDLE_SECONDS = {True: 10.0, False: 30.0}
MAX_BYTES = 2 * 1024 * 1024
KERNEL_PACKAGE = "linux-source-6.12"
QUERIES = {  # per tree: (name, text, regex)
    "tree": [("literal", NEEDLE, False), ("regex", MATCH_REGEX, True)],
    "kernel": [
        ("literal", "kmem_cache_create(", False),
        ("regex", r"static int \w+_suspend\(struct device \*", True),
    ],
}
NO_MATCH = ("regex with no match", NO_MATCH_REGEX, True)
GLOBS = {"tree": "*.c", "kernel": "*.h"}
MENTION_QUERIES = {
    "tree": ["f1", "f42.", "leaf3", "mid", "f98.md", "top7", "scr", "f5"],
    "kernel": ["mm", "sched", "Makefile", "ext4", "Kconf", "main.c", "dma-", "i2c"],
}


# -- the trees -----------------------------------------------------------------------------
def generated_tree(count: int = TREE_FILES) -> Path:
    root = CACHE / f"tree-{count}-v1"
    stamp = root / ".complete"
    if not stamp.exists():
        shutil.rmtree(root, ignore_errors=True)
        make_tree(root, count)
        stamp.write_text("made by scripts/bench_repo.py\n")
    return root


DEBIAN_RULES = ("/*", "!/debian/")  # the package's own lines: "ignore everything at the top level"


def upstream_gitignore(root: Path) -> None:
    """Drop the Debian packaging lines from the top ``.gitignore``: they hide the whole tree,
    which a kernel checkout's ``.gitignore`` does not."""
    path = root / ".gitignore"
    lines = path.read_text().splitlines()
    kept = [line for line in lines if line.strip() not in DEBIAN_RULES]
    if kept != lines:
        path.write_text("\n".join(kept) + "\n")


def kernel_tree() -> Path:
    """Debian's kernel source, downloaded and unpacked once into the cache."""
    where = CACHE / "kernel"
    found = sorted(where.glob(f"{KERNEL_PACKAGE}/Makefile"))
    if found and (where / ".complete").exists():
        upstream_gitignore(found[0].parent)
        return found[0].parent
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", KERNEL_PACKAGE], cwd=where, check=True)
    deb = sorted(where.glob(f"{KERNEL_PACKAGE}_*.deb"))[-1]
    subprocess.run(["dpkg-deb", "-x", str(deb), "deb"], cwd=where, check=True)
    tarball = where / "deb" / "usr" / "src" / f"{KERNEL_PACKAGE}.tar.xz"
    subprocess.run(["tar", "-xJf", str(tarball), "-C", str(where)], check=True)
    upstream_gitignore(where / KERNEL_PACKAGE)
    (where / ".complete").write_text("unpacked by scripts/bench_repo.py\n")
    return where / KERNEL_PACKAGE


# -- search and find vs rg -----------------------------------------------------------------
def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def rg_matches(root: Path, text: str, regex: bool) -> tuple[float, set[tuple[str, int]]]:
    rg = locate()
    assert rg is not None, "the ripgrep wheel is not installed"
    flags = [f for f in tree_flags(MAX_BYTES) if f != "--null"]
    how = "--regexp" if regex else "--fixed-strings"
    argv = [str(rg), *flags, "--line-number", "--no-heading", "--with-filename", how, text, "."]
    started = time.perf_counter()
    out = subprocess.run(argv, cwd=root, capture_output=True, check=False).stdout
    took = time.perf_counter() - started
    found = set()
    for line in out.splitlines():
        path, number, _ = line.split(b":", 2)
        found.add((os.fsdecode(path).removeprefix("./"), int(number)))
    return took, found


async def our_matches(root: Path, text: str, regex: bool) -> tuple[float, float, set[Any]]:
    scope = SearchScope(root, PathPolicy(root), MAX_BYTES)
    needle = line_matcher(text, regex=regex)
    found: set[tuple[str, int]] = set()
    first = float("nan")
    started = time.perf_counter()
    async with aclosing(hits(scope, root, needle, text=text, regex=regex)) as it:
        async for batch in it:
            if not found:
                first = time.perf_counter() - started
            found.update((h.rel, h.line) for h in batch)
    return time.perf_counter() - started, first, found


def skipped_by_rules(root: Path, rel: str) -> bool:
    """Files the security rules never search: secret-looking names, private keys."""
    if is_secret_name(rel):
        return True
    try:
        return "PRIVATE KEY-----" in (root / rel).read_text(errors="replace")
    except OSError:
        return False


async def search_figures(
    root: Path, runs: int, name: str, text: str, regex: bool
) -> dict[str, Any]:
    await our_matches(root, text, regex)  # warm-up: page cache, the redaction rules' DFA
    rg_matches(root, text, regex)
    ours, firsts, theirs = [], [], []
    for _ in range(runs):
        took, first, found = await our_matches(root, text, regex)
        ours.append(took)
        firsts.append(first)
        rg_took, expected = rg_matches(root, text, regex)
        theirs.append(rg_took)
    skipped = sorted({p for p, _ in expected - found if skipped_by_rules(root, p)})
    missing = sorted(m for m in expected - found if m[0] not in skipped)
    extra = sorted(found - expected)
    return {
        "query": text,
        "ms": median_ms(ours),
        "rg_ms": median_ms(theirs),
        "vs_rg": round(statistics.median(ours) / statistics.median(theirs), 2),
        "first_match_ms": median_ms(firsts) if found else None,
        "matches": len(found),
        "files": len({p for p, _ in found}),
        "skipped_by_security_rules": skipped,
        "differences": len(missing) + len(extra),
        "missing": [f"{p}:{n}" for p, n in missing[:20]],
        "extra": [f"{p}:{n}" for p, n in extra[:20]],
        "name": name,
    }


def timed_run(argv: list[str], cwd: Path) -> tuple[float, bytes]:
    started = time.perf_counter()
    out = subprocess.run(argv, cwd=cwd, capture_output=True, check=True).stdout
    return time.perf_counter() - started, out


async def find_figures(root: Path, runs: int, glob: str, index: FileIndex) -> dict[str, Any]:
    """``files(glob)`` answered from the warm index (as the daemon's ``find`` is) and by rg alone."""
    rg = locate()
    assert rg is not None
    argv = [str(rg), *tree_flags(MAX_BYTES), "--files", "-g", glob, "."]
    scopes = {
        "index": SearchScope(root, PathPolicy(root), MAX_BYTES, index=index),
        "rg": SearchScope(root, PathPolicy(root), MAX_BYTES),
    }
    times: dict[str, list[float]] = {"index": [], "rg": [], "rg_cli": []}
    listed: dict[str, list[str]] = {}
    for n in range(runs + 1):
        for how, scope in scopes.items():
            started = time.perf_counter()
            listed[how] = [rel async for batch in files(scope, root, Glob(glob)) for rel in batch]
            if n:  # the first round warms up
                times[how].append(time.perf_counter() - started)
        rg_took, plain = timed_run(argv, root)
        if n:
            times["rg_cli"].append(rg_took)
    expected = {os.fsdecode(p).removeprefix("./") for p in plain.split(b"\0") if p}
    rg_ms = statistics.median(times["rg_cli"])
    return {
        "glob": glob,
        "ms": median_ms(times["index"]),
        "no_index_ms": median_ms(times["rg"]),
        "rg_ms": median_ms(times["rg_cli"]),
        "vs_rg": round(statistics.median(times["index"]) / rg_ms, 2),
        "no_index_vs_rg": round(statistics.median(times["rg"]) / rg_ms, 2),
        "files": len(listed["index"]),
        # rg's -g re-includes files .gitignore excludes; find keeps them out
        "rg_only": len(expected - set(listed["index"])),
        "ours_only": len(set(listed["index"]) - expected),
        "index_vs_no_index_differing": len(set(listed["index"]) ^ set(listed["rg"])),
    }


async def built_index(root: Path) -> tuple[FileIndex, float]:
    index = FileIndex(root)
    started = time.perf_counter()
    await asyncio.to_thread(index.build)
    return index, time.perf_counter() - started


async def list_figures(root: Path, runs: int, index: FileIndex) -> dict[str, Any]:
    ws = LocalWorkspace(root)
    ws.index = index
    tool = ListTool(ws)
    samples = []
    for _ in range(runs * 10):
        started = time.perf_counter()
        result = await tool.execute(depth=2)
        samples.append(time.perf_counter() - started)
    return {
        "index_entries": len(index),
        "list_depth2_ms": median_ms(samples),
        "list_outcome": result.outcome,
    }


# -- the daemon ----------------------------------------------------------------------------
REPLY = "§respond: ok\n§end\n"


async def start_figures(root: Path, base: Path, runs: int) -> dict[str, float]:
    """initialize and first prompt -> first event in ``root``, medians over fresh daemons."""
    inits, firsts = [], []
    for n in range(runs):
        started = time.perf_counter()
        daemon = await RawDaemon.spawn(base / f"start-{n}.db", cwd=base)
        try:
            await daemon.initialize([root], {"fakeScript": {"replies": [REPLY]}})
            inits.append(time.perf_counter() - started)
            started = time.perf_counter()
            prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "hi"}))
            while not daemon.events:  # noqa: ASYNC110 - frames arrive on the client's reader task
                await asyncio.sleep(0.001)
            firsts.append(time.perf_counter() - started)
            await prompt
            await daemon.close()
        finally:
            daemon.kill()
    return {"initialize_ms": median_ms(inits), "first_event_ms": median_ms(firsts)}


def family_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid``, of its children it reaped, and of those still running (the
    daemon builds its file index in a child process)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS  # cutime, cstime
    running = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError, ValueError, IndexError):
                running += cpu_seconds(int(child))
    return cpu_seconds(pid) + reaped + running


async def until_quiet(pid: int, window: float = 1.0, limit: float = 600.0) -> None:
    """Wait until ``pid`` and its children used under 2% of a core in two windows in a row."""
    quiet, started = 0, time.perf_counter()
    while quiet < 2 and time.perf_counter() - started < limit:
        before = family_cpu_seconds(pid)
        await asyncio.sleep(window)
        quiet = quiet + 1 if family_cpu_seconds(pid) - before < 0.02 * window else 0


async def warm_daemon_figures(root: Path, base: Path, tree: str, quick: bool) -> dict[str, Any]:
    """Mentions once warm, RSS with the tree indexed, CPU while idle."""
    daemon = await RawDaemon.spawn(base / "warm.db", cwd=base)
    uri = root.as_uri()
    try:
        started = time.perf_counter()
        await daemon.initialize([root])
        await until_quiet(daemon.pid)  # the index is built: the daemon (and its child) went quiet
        warm_s = time.perf_counter() - started
        samples = await mention_samples(daemon, uri, MENTION_QUERIES[tree], 25 if quick else 100)
        rss = rss_mb(daemon.pid)
        cpu0, t0 = family_cpu_seconds(daemon.pid), time.perf_counter()
        await asyncio.sleep(IDLE_SECONDS[quick])
        idle = (family_cpu_seconds(daemon.pid) - cpu0) / (time.perf_counter() - t0) * 100
        await daemon.close()
    finally:
        daemon.kill()
    return {
        "index_warm_s": round(warm_s, 2),
        **percentiles("mentions", samples),
        "rss_indexed_mb": rss,
        "idle_cpu_percent": round(idle, 2),
    }


async def mention_samples(
    daemon: RawDaemon, uri: str, queries: list[str], rounds: int
) -> list[float]:
    """Seconds per ``silcrow/mentions`` request, ``rounds`` times over ``queries``."""
    samples = []
    for _ in range(rounds):
        for query in queries:
            t0 = time.perf_counter()
            await daemon.request("silcrow/mentions", {"workspaceUri": uri, "query": query})
            samples.append(time.perf_counter() - t0)
    return samples


def percentiles(name: str, samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        f"{name}_p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        f"{name}_p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 2),
        f"{name}_queries": len(samples),
    }


async def mentions_figures(quick: bool) -> dict[str, Any]:
    """``@`` completion on a ``MENTIONS_FILES``-file workspace (issue 19's figure).

    How long the daemon takes to answer its first request after ``initialize`` (start-up
    work, whatever the method), then one mentions request while the index is still being
    built (it never waits for the index) and its size, then p50/p99 once the index is warm.
    """
    root = await asyncio.to_thread(generated_tree, MENTIONS_FILES)
    queries = MENTION_QUERIES["tree"]
    with tempfile.TemporaryDirectory(prefix="silcrow-bench-mentions-") as tmp:
        daemon = await RawDaemon.spawn(Path(tmp) / "mentions.db", cwd=Path(tmp))
        uri = root.as_uri()
        try:
            await daemon.initialize([root])
            t0 = time.perf_counter()
            await daemon.request("silcrow/conversations", {})  # the daemon serves requests now
            serving_ms = round((time.perf_counter() - t0) * 1000, 2)
            t0 = time.perf_counter()
            first = await daemon.request("silcrow/mentions", {"workspaceUri": uri, "query": "f1"})
            first_ms = round((time.perf_counter() - t0) * 1000, 2)
            await until_quiet(daemon.pid)
            samples = await mention_samples(daemon, uri, queries, 25 if quick else 100)
            await daemon.close()
        finally:
            daemon.kill()
    return {
        "files": MENTIONS_FILES,
        "first_request_after_initialize_ms": serving_ms,
        "first_mentions_while_indexing_ms": first_ms,
        "first_mentions_items": len((first or {}).get("items", [])),
        **percentiles("warm", samples),
    }


async def stale_figures(root: Path, changes: int) -> dict[str, float]:
    """Write a read file, time until stale-file awareness names it."""
    target = root / "stale-probe.py"
    target.write_text("x = 0\n")
    stale = StaleFiles(root)
    watcher = TreeWatcher(root, FileIndex(root), stale)
    watcher.start()
    await asyncio.sleep(5)  # the recursive watch is set up in the background
    seen = []
    try:
        for n in range(changes):
            stale.record(target.resolve())
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            target.write_text(f"x = {n + 1}  # changed elsewhere\n")
            while not stale.notices(lambda p: False):
                await asyncio.sleep(0.005)
                if time.perf_counter() - started > 10:
                    break
            seen.append(time.perf_counter() - started)
    finally:
        await watcher.aclose()
        target.unlink()
    return {"stale_seen_p50_ms": median_ms(seen), "stale_seen_max_ms": round(max(seen) * 1000, 1)}


# -- the run -------------------------------------------------------------------------------
async def tree_figures(name: str, root: Path, quick: bool) -> dict[str, Any]:
    runs = RUNS[quick]
    out: dict[str, Any] = {"root": str(root)}
    for label, text, regex in [*QUERIES[name], NO_MATCH]:
        out[f"search_{label.replace(' ', '_')}"] = await search_figures(
            root, runs, label, text, regex
        )
    index, built = await built_index(root)
    out["index_build_s"] = round(built, 2)
    out["find"] = await find_figures(root, runs, GLOBS[name], index)
    out.update(await list_figures(root, runs, index))
    del index
    with tempfile.TemporaryDirectory(prefix="silcrow-bench-repo-") as tmp:
        base = Path(tmp)
        empty = base / "empty"
        empty.mkdir()
        big = await start_figures(root, base, runs)
        small = await start_figures(empty, base, runs)
        out["start"] = {"tree": big, "empty": small}
        out["initialize_vs_empty"] = round(big["initialize_ms"] / small["initialize_ms"], 2)
        out["first_event_vs_empty"] = round(big["first_event_ms"] / small["first_event_ms"], 2)
        out.update(await warm_daemon_figures(root, base, name, quick))
    out.update(await stale_figures(root, 5 if quick else 10))
    return out


async def measure_async(quick: bool = False, *, mentions_only: bool = False) -> dict[str, Any]:
    if mentions_only:
        return {"mentions_50k": await mentions_figures(quick)}
    await asyncio.to_thread(warm_up)
    figures: dict[str, Any] = {"tree": await tree_figures("tree", generated_tree(), quick)}
    figures["mentions_50k"] = await mentions_figures(quick)
    if not quick:
        figures["kernel"] = await tree_figures("kernel", kernel_tree(), quick)
    return figures


def measure(quick: bool = False, *, mentions_only: bool = False) -> dict[str, Any]:
    return asyncio.run(measure_async(quick, mentions_only=mentions_only))


def main() -> None:
    mentions_only = "--mentions" in sys.argv  # only the 50,000-file mentions figure
    if mentions_only:
        sys.argv.remove("--mentions")
    args = arguments(__doc__ or "", "generated 100k-file tree only (no download)")
    import json

    figures = measure(args.quick, mentions_only=mentions_only)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
