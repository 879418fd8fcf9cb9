"""find on ripgrep: the same matches as rg, secrets skipped, caps, streaming, cancellation, fallback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from contextlib import aclosing
from pathlib import Path

import pytest

from silcrow.tools.builtin.find import FindTool
from silcrow.tools.fileindex import FileIndex
from silcrow.tools.filesearch import Glob, Hit, SearchScope, files, hits
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.paths import PathPolicy
from silcrow.tools.rg import locate, tree_flags
from silcrow.tools.rgpattern import rg_regex
from silcrow.tools.search_text import line_matcher
from silcrow.tools.treeread import TreeReader
from support.repotree import MATCH_REGEX, NEEDLE, NO_MATCH_REGEX, SECURITY_SKIPPED, make_tree

RG = locate()
needs_rg = pytest.mark.skipif(RG is None, reason="the ripgrep wheel is not installed")
MAX = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo").resolve()
    make_tree(root, 600)
    return root


def scope(root: Path) -> SearchScope:
    return SearchScope(root, PathPolicy(root), MAX)


def rg_says(root: Path, *args: str) -> set[tuple[str, int]]:
    """(path, line) of every match plain rg reports with the walker's flags."""
    assert RG is not None
    flags = [f for f in tree_flags(MAX) if f != "--null"]
    out = subprocess.run(
        [str(RG), *flags, "--line-number", "--no-heading", "--with-filename", *args, "--", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = set()
    for line in out.splitlines():
        path, number, _ = line.split(":", 2)
        found.add((path.removeprefix("./"), int(number)))
    return found


def rg_files(root: Path) -> set[str]:
    """Every file plain ``rg --files`` lists with the walker's flags."""
    assert RG is not None
    listed = subprocess.run(
        [str(RG), *tree_flags(MAX), "--files", "--", "."], cwd=root, capture_output=True, check=True
    ).stdout.split(b"\0")
    return {os.fsdecode(p).removeprefix("./") for p in listed if p}


async def ours(root: Path, text: str, *, regex: bool, start: Path | None = None) -> list[Hit]:
    out: list[Hit] = []
    needle = line_matcher(text, regex=regex)
    async with aclosing(hits(scope(root), start or root, needle, text=text, regex=regex)) as it:
        async for found in it:
            out += found
    return out


@needs_rg
@pytest.mark.parametrize(
    ("text", "regex"), [(NEEDLE, False), (MATCH_REGEX, True), (NO_MATCH_REGEX, True)]
)
async def test_matches_are_rgs_apart_from_what_the_security_rules_skip(
    tree: Path, text: str, regex: bool
) -> None:
    expected = rg_says(tree, "--regexp" if regex else "--fixed-strings", text)
    found = {(h.rel, h.line) for h in await ours(tree, text, regex=regex)}
    skipped = {(p, n) for p, n in expected if p in SECURITY_SKIPPED}
    assert found == expected - skipped
    if text == NEEDLE:
        assert {p for p, _ in skipped} == set(SECURITY_SKIPPED)
        assert any(p.startswith(".github/") for p, _ in found)  # hidden files are searched
        paths = {p for p, _ in found}
        for never in ("debug.log", "build/out.c", "blob.bin", "late.bin", "top1/scratch.tmp"):
            assert never not in paths  # ignored and binary files are not


@needs_rg
async def test_a_glob_lists_what_rg_lists_with_gitignore_in_force(tree: Path) -> None:
    listed = [rel async for batch in files(scope(tree), tree, Glob("*.c")) for rel in batch]
    expected = {rel for rel in rg_files(tree) if rel.endswith(".c")}
    assert set(listed) == expected and "build/out.c" not in expected
    anchored = [r async for batch in files(scope(tree), tree, Glob("top1/**/f1.c")) for r in batch]
    assert anchored and all(r.startswith("top1/") and r.endswith("/f1.c") for r in anchored)


@needs_rg
async def test_a_subfolder_search_keeps_the_rules_of_the_folders_above(tree: Path) -> None:
    found = await ours(tree, NEEDLE, regex=False, start=tree / "top1")
    assert found and all(h.rel.startswith("top1/") for h in found)
    assert "top1/scratch.tmp" not in {h.rel for h in found}  # ignored by top1/.gitignore
    (tree / "top2" / "keep.log").write_text(NEEDLE + "\n")  # ignored by the root's .gitignore
    try:
        below = await ours(tree, NEEDLE, regex=False, start=tree / "top2")
        assert "top2/keep.log" not in {h.rel for h in below}
    finally:
        (tree / "top2" / "keep.log").unlink()


async def test_without_rg_the_walk_finds_the_same_and_says_so(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_rg = {(h.rel, h.line) for h in await ours(tree, NEEDLE, regex=False)}
    monkeypatch.setenv("SILCROW_RG", "off")
    walked = scope(tree)
    assert walked.rg is None
    needle = line_matcher(NEEDLE, regex=False)
    found = [
        h async for batch in hits(walked, tree, needle, text=NEEDLE, regex=False) for h in batch
    ]
    assert {(h.rel, h.line) for h in found} == with_rg
    assert any("ripgrep (rg) was not found" in note for note in walked.notes)
    result = await FindTool(LocalWorkspace(tree)).execute(pattern="*.md")
    assert "[note: ripgrep (rg) was not found" in result.content


@needs_rg
async def test_the_result_caps_and_counts_and_stops_rg_early(tree: Path) -> None:
    ws = LocalWorkspace(tree)
    result = await FindTool(ws, max_results=3).execute(text=NEEDLE)
    total = len(await ours(tree, NEEDLE, regex=False))
    shown = [ln for ln in result.content.splitlines() if NEEDLE in ln]
    assert len(shown) == 3 and f"[{total - 3} more matches not shown" in result.content
    assert f"Found {total} matches" in result.outcome
    many = await FindTool(ws, max_results=1).execute(pattern="*.py")
    assert "Found 50+ files" in many.outcome and "[at least 49 more files" in many.content


@needs_rg
async def test_secrets_are_matched_redacted_and_secret_files_never_show(tmp_path: Path) -> None:
    key = "sk-proj-Qx7" + "a1B2c3D4e5" * 4
    (tmp_path / "app.py").write_text(f'KEY = "{key}"\nprint("hello")\n')
    (tmp_path / ".env").write_text("print(\n")
    find = FindTool(LocalWorkspace(tmp_path))
    answers = {(await find.execute(text=g)).content for g in ("sk-proj-Q", "sk-proj-Z", key)}
    assert answers == {"no matches found"}
    control = await find.execute(text="print(")
    assert control.content == 'app.py:2: print("hello")'
    labels = await find.execute(text="redacted:openai")
    assert labels.content == 'app.py:1: KEY = "[redacted:openai-key]"'


def test_rg_patterns_spell_out_the_ascii_classes_re2_means() -> None:
    assert rg_regex(r"\w+\W\d\D\s\S") == (
        "[[:word:]]+[[:^word:]][[:digit:]][[:^digit:]][[:space:]][[:^space:]]"
    )
    assert rg_regex(r"[\w-]\bx\B[^]\d]") == r"[[:word:]-](?-u:\b)x(?-u:\B)[^][:digit:]]"
    assert rg_regex(r"[[:alpha:]\s]\\w") == r"[[:alpha:][:space:]]\\w"


@needs_rg
async def test_a_non_word_class_finds_a_line_rg_would_call_all_word(tmp_path: Path) -> None:
    (tmp_path / "u.txt").write_text("café\n")
    found = await ours(tmp_path, r"caf\W", regex=True)  # é is \W to RE2, \w to Unicode rg
    assert [(h.rel, h.line) for h in found] == [("u.txt", 1)]


FAKE_RG = """#!{python}
import os, sys, time
with open({pidfile!r}, "w") as f:
    f.write(str(os.getpid()))
sys.stdout.write("a.txt\\0")
sys.stdout.flush()
time.sleep(120)
"""


def fake_rg(tmp_path: Path) -> tuple[Path, Path]:
    pidfile = tmp_path / "rg.pid"
    script = tmp_path / "slow-rg"
    script.write_text(FAKE_RG.format(python=sys.executable, pidfile=str(pidfile)))
    script.chmod(0o755)
    return script, pidfile


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


async def test_the_first_hits_arrive_while_rg_still_runs_and_stopping_kills_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.txt").write_text("find me\n")
    script, pidfile = fake_rg(tmp_path)
    slow = SearchScope(root, PathPolicy(root), MAX, rg=script)
    needle = line_matcher("find me", regex=False)
    async with aclosing(hits(slow, root, needle, text="find me", regex=False)) as it:
        first = await anext(it)
        pid = int(pidfile.read_text())
        assert first == [Hit("a.txt", 1, "find me")] and alive(pid)  # rg has not finished
    assert not alive(pid)


async def test_cancelling_a_find_kills_rg_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.txt").write_text("find me\n")
    script, pidfile = fake_rg(tmp_path)
    monkeypatch.setenv("SILCROW_RG", str(script))
    call = asyncio.ensure_future(FindTool(LocalWorkspace(root)).execute(text="find me"))
    while not pidfile.exists() or not pidfile.read_text():  # noqa: ASYNC110 - rg writes it
        await asyncio.sleep(0.01)
    pid = int(pidfile.read_text())
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert not alive(pid)


@needs_rg
async def test_a_glob_answered_by_the_warm_index_is_what_rg_lists(tmp_path: Path) -> None:
    root = tmp_path
    make_tree(root, 300)
    (root / "big.c").write_bytes(b"x" * 100_000)
    os.symlink(root / "top1", root / "linked")  # a symlinked folder: not entered by either
    index = FileIndex(root)
    index.build()
    small = 64_000  # big.c is over the size limit: neither lists it
    # no rg for this one: an answer not from the index would walk and add a note
    indexed = SearchScope(root, PathPolicy(root), small, rg=None, index=index)
    plain = SearchScope(root, PathPolicy(root), small)
    for pattern, start in (("*.c", root), ("f1*.[cm]d", root), ("*.py", root / "top1")):
        glob = Glob(pattern)
        from_index = [r async for b in files(indexed, start, glob) for r in b]
        from_rg = [r async for b in files(plain, start, glob) for r in b]
        assert from_index and sorted(from_index) == sorted(from_rg), pattern
    (root / "top1" / "fresh.c").write_text("x\n")  # before any watcher event
    fresh = [r async for b in files(indexed, root, Glob("fresh.c")) for r in b]
    assert fresh == ["top1/fresh.c"] and indexed.notes == []


def test_the_tree_reader_follows_no_symlink_and_takes_only_plain_paths(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "a").mkdir(parents=True)
    outside.mkdir()
    (root / "a" / "f.txt").write_text("inside\n")
    (outside / "f.txt").write_text("outside\n")
    os.symlink(outside, root / "link")
    os.symlink(outside / "f.txt", root / "a" / "leaf.txt")
    os.mkfifo(root / "a" / "pipe")
    with TreeReader(root) as reader:
        assert reader.read("a/f.txt", 100) == b"inside\n"
        assert reader.read("a/f.txt", 3) is None  # over the limit
        assert reader.read("a/pipe", 100) is None  # not a regular file, and no blocking
        for through_link in ("link/f.txt", "a/leaf.txt"):
            with pytest.raises(OSError):
                reader.read(through_link, 100)
        for unplain in ("a/../link/f.txt", "./a/f.txt", "a//f.txt", "/etc/passwd", "a/"):
            with pytest.raises(ValueError, match="not a plain relative path"):
                reader.read(unplain, 100)


async def test_a_find_answered_by_the_index_notes_the_gitignore_files_it_could_not_apply(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.c").write_text("x\n")
    (tmp_path / "sub" / ".gitignore").write_text("".join(f"rule{n}\n" for n in range(1001)))
    index = FileIndex(tmp_path)
    index.build()
    ws = LocalWorkspace(tmp_path)
    ws.index = index
    result = await FindTool(ws).execute(pattern="*.c")
    assert result.content.startswith("sub/a.c\n")
    assert "[note: sub/.gitignore not applied: 1001 rules, more than 1000]" in result.content
