"""The file index: the walker's listing from memory, kept current, bounded, and mentions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from silcrow.tools.builtin.list_files import ListTool
from silcrow.tools.fileindex import FileIndex, read_folder
from silcrow.tools.indexchild import build_in_child
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.walk import GitIgnore, walk
from support.repotree import make_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    make_tree(root, 1200)  # 12 folders top{0-9}/mid0/leaf0, top{0,1}/mid1/leaf0
    return root


def walked(root: Path, start: Path, depth: int) -> list[tuple[str, bool, int]]:
    return [
        (e.rel, e.is_dir, 0 if e.is_dir else e.size)
        for e in walk(root, start, depth=depth, ignore=GitIgnore(root))
    ]


def indexed(index: FileIndex, start: str, depth: int) -> list[tuple[str, bool, int]] | None:
    listed = index.listing(start, depth)
    if listed is None:
        return None
    return [(rel, n.is_dir, 0 if n.is_dir else n.size) for rel, n in listed]


def test_the_index_lists_exactly_what_the_walk_lists(tree: Path) -> None:
    index = FileIndex(tree)
    assert index.listing("", 2) is None  # not built: the caller walks
    index.build()
    assert index.state == "ready" and index.notice is None
    for start, depth in (("", 1), ("", 2), ("", 4), ("top1", 3), ("top0/mid1", 2)):
        assert indexed(index, start, depth) == walked(tree, tree / start, depth), (start, depth)


def test_changes_on_disk_show_in_the_next_listing_and_the_watcher_keeps_it_current(
    tree: Path,
) -> None:
    index = FileIndex(tree)
    index.build()
    (tree / "top1" / "fresh").mkdir()
    (tree / "top1" / "fresh" / "new.py").write_text("x = 1\n")
    (tree / "top1" / "mid0" / "leaf0" / "f0.py").unlink()
    # before any watcher event: the folder's mtime says it changed
    assert indexed(index, "top1", 3) == walked(tree, tree / "top1", 3)
    (tree / "top1" / "mid0" / "leaf0" / "f1.c").write_text("bigger now\n" * 100)
    (tree / "top1" / ".gitignore").write_text("*.tmp\nfresh/\n")
    index.changed([tree / "top1" / "mid0" / "leaf0" / "f1.c", tree / "top1" / ".gitignore"])
    listing = indexed(index, "top1", 3)
    assert listing == walked(tree, tree / "top1", 3)
    assert listing is not None and not any(rel.startswith("top1/fresh") for rel, _, _ in listing)
    assert ("top1/mid0/leaf0/f1.c", False, 1100) in listing
    assert [rel for rel, _ in index.mentions("new.py", 5)] == []


async def test_past_its_limit_the_index_is_partial_says_so_and_list_walks(tree: Path) -> None:
    index = FileIndex(tree, max_entries=40)
    index.build()
    assert index.state == "partial" and index.notice and "more than 40" in index.notice
    assert indexed(index, "", 1) == walked(tree, tree, 1)  # the shallow part is held
    assert index.listing("top3/mid0/leaf0", 1) is None  # too deep: unknown
    ws = LocalWorkspace(tree)
    ws.index = index
    plain = ListTool(LocalWorkspace(tree))
    shallow = await ListTool(ws).execute(depth=1)
    assert shallow.content == (await plain.execute(depth=1)).content
    deep = await ListTool(ws).execute(path="top3", depth=3)
    assert "[note: the workspace has more than 40 files" in deep.content
    assert deep.content.split("\n[note:")[0] == (await plain.execute(path="top3", depth=3)).content


def test_mentions_put_names_that_start_with_the_query_first(tree: Path) -> None:
    index = FileIndex(tree)
    index.build()
    found = index.mentions("F1.", 5)
    assert len(found) == 5 and all(rel.rsplit("/", 1)[-1].startswith("f1.") for rel, _ in found)
    assert [len(rel) for rel, _ in found] == sorted(len(rel) for rel, _ in found)
    assert index.mentions("mid1", 1) == [("top0/mid1", True)]
    inside = index.mentions("mid1/leaf", 50)
    assert len(inside) == 50 and all("mid1/leaf" in rel for rel, _ in inside)
    assert index.mentions("", 5) == [] and index.mentions("nothing-like-this", 5) == []
    assert not any(".git/" in rel or rel.endswith(".log") for rel, _ in index.mentions(".", 500))


def held(index: FileIndex) -> tuple[object, ...]:
    return (index.state, len(index), index.listing("", 6), index.mentions("f1", 50), index.notice)


@pytest.mark.parametrize("limit", [200_000, 40])
async def test_an_index_built_in_a_child_process_is_the_one_built_in_a_thread(
    tree: Path, limit: int
) -> None:
    here = FileIndex(tree, max_entries=limit)
    here.build()
    there = FileIndex(tree, max_entries=limit)
    await build_in_child(there)
    assert held(there) == held(here) and there.state == ("ready" if limit > 40 else "partial")


async def test_when_the_child_process_fails_the_index_is_built_in_a_thread(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = FileIndex(tree)
    here.build()
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, then exits with no frame
    fallback = FileIndex(tree)
    await build_in_child(fallback)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")  # cannot start at all
    unstarted = FileIndex(tree)
    await build_in_child(unstarted)
    assert held(fallback) == held(here) == held(unstarted)


def test_a_change_seen_before_its_folder_is_installed_is_not_lost(tmp_path: Path) -> None:
    """A child's read installed after the watcher saw the folder change is checked at finish."""
    import os
    import shutil

    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    (root / "a" / "xfile").write_text("x")
    (root / "b").mkdir()
    ignore = GitIgnore(root)
    reads = {f: read_folder(root, ignore, f) for f in ("", "a", "b")}
    index = FileIndex(root)
    index.begin()
    top = reads[""]
    assert top is not None
    index.install("", [tuple(n) for n in top[0].values()], top[1])
    shutil.rmtree(root / "a")  # gone after the child read it
    (root / "b" / "new.py").write_text("y")  # added after the child read "b"
    os.utime(root / "b", ns=(1, 1))  # an mtime the child's read cannot have
    index.changed([root / "a" / "xfile", root / "b" / "new.py"])  # not installed yet: ignored
    for folder in ("a", "b"):
        read = reads[folder]
        assert read is not None
        index.install(folder, [tuple(n) for n in read[0].values()], read[1])
    index.finish(True)
    assert index.mentions("xfile", 10) == []
    assert index.mentions("new", 10) == [("b/new.py", False)]
