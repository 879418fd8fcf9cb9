"""read, write, edit, list, find: behaviour and limits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from tools_helpers import Layout

from silcrow.tools.base import Tool
from silcrow.tools.builtin.find import FindTool
from silcrow.tools.builtin.list_files import ListTool
from silcrow.tools.builtin.read import ReadTool
from silcrow.tools.local import LocalWorkspace


async def test_read_numbers_lines_and_ranges(layout: Layout, tools: dict[str, Tool]) -> None:
    (layout.root / "n.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    whole = await tools["read"].execute(file="n.txt")
    assert whole.content.splitlines()[0] == "     1\tline 1" and "10 lines" in whole.outcome
    part = await tools["read"].execute(file="n.txt", start=3, end=4)
    assert part.content == "     3\tline 3\n     4\tline 4\n"
    past = await tools["read"].execute(file="n.txt", start=9, end=50)
    assert "ends at line 10" in past.outcome and "line 10" in past.content
    bad = await tools["read"].execute(file="n.txt", start=20)
    assert bad.error and "only 10 lines" in bad.content
    assert (await tools["read"].execute(file="n.txt", start="3")).error


async def test_read_large_file_asks_for_a_range(layout: Layout, ws: LocalWorkspace) -> None:
    (layout.root / "big.log").write_text(("y" * 99 + "\n") * 3000)
    tool = ReadTool(ws, limit=10_000)
    result = await tool.execute(file="big.log")
    assert result.error and "3000 lines" in result.content and "start=" in result.content
    ranged = await tool.execute(file="big.log", start=2990, end=3000)
    assert not ranged.error and ranged.content.count("\n") == 11


async def test_read_over_hard_limit_is_refused_with_size(layout: Layout) -> None:
    (layout.root / "huge.bin").write_bytes(b"a" * 5000)
    ws = LocalWorkspace(layout.root, max_read_bytes=4096)
    result = await ReadTool(ws).execute(file="huge.bin")
    assert result.error and "4.9 KB" in result.content


async def test_binary_file_gives_metadata_not_bytes(layout: Layout, tools: dict[str, Tool]) -> None:
    (layout.root / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00SECRETBYTES")
    (layout.root / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    png = await tools["read"].execute(file="img.png")
    assert not png.error and "PNG image" in png.content and "SECRETBYTES" not in png.content
    latin = await tools["read"].execute(file="latin1.txt")
    assert "binary" in latin.content and "caf" not in latin.content


async def test_fifo_and_directory_never_block(layout: Layout, tools: dict[str, Tool]) -> None:
    os.mkfifo(layout.root / "pipe")
    result = await asyncio.wait_for(tools["read"].execute(file="pipe"), 5)
    assert result.error and "named pipe" in result.content
    folder = await tools["read"].execute(file="src")
    assert folder.error and "directory" in folder.content
    found = await asyncio.wait_for(tools["find"].execute(text="anything"), 5)
    assert not found.error


async def test_write_creates_parents_and_replaces_atomically(
    layout: Layout, tools: dict[str, Tool]
) -> None:
    result = await tools["write"].execute(file="new/deep/file.txt", content="a\nb\n")
    assert not result.error and (layout.root / "new/deep/file.txt").read_text() == "a\nb\n"
    os.chmod(layout.root / "src/app.py", 0o755)
    await tools["write"].execute(file="src/app.py", content="x = 1\n")
    assert (layout.root / "src/app.py").read_text() == "x = 1\n"
    assert os.stat(layout.root / "src/app.py").st_mode & 0o777 == 0o755
    assert not [p for p in (layout.root / "src").iterdir() if p.name.endswith(".tmp")]


async def test_write_onto_directory_is_refused(tools: dict[str, Tool]) -> None:
    result = await tools["write"].execute(file="src", content="x")
    assert result.error


async def test_edit_exact_unique(layout: Layout, tools: dict[str, Tool]) -> None:
    result = await tools["edit"].execute(file="src/app.py", old="return 1", new="return 2")
    assert not result.error and "+1 -1" in result.outcome and "+    return 2" in result.content
    assert (layout.root / "src/app.py").read_text() == "def main():\n    return 2\n"


async def test_edit_not_found_shows_nearest_lines(layout: Layout, tools: dict[str, Tool]) -> None:
    result = await tools["edit"].execute(file="src/app.py", old="retrun 1", new="return 3")
    assert result.error and "not found" in result.content and "2\t    return 1" in result.content
    spaced = await tools["edit"].execute(file="src/app.py", old="def main():\n  return 1", new="x")
    assert "whitespace" in spaced.content


async def test_edit_ambiguous_names_lines(layout: Layout, tools: dict[str, Tool]) -> None:
    (layout.root / "d.py").write_text("a = 1\nb = 2\na = 1\n")
    result = await tools["edit"].execute(file="d.py", old="a = 1", new="a = 9")
    assert result.error and "2 times" in result.content and "lines 1, 3" in result.content
    every = await tools["edit"].execute(file="d.py", old="a = 1", new="a = 9", all=True)
    assert not every.error and (layout.root / "d.py").read_text() == "a = 9\nb = 2\na = 9\n"


async def test_edit_many_is_atomic(layout: Layout, tools: dict[str, Tool]) -> None:
    (layout.root / "m.py").write_text("one\ntwo\nthree\n")
    bad = await tools["edit"].execute(
        file="m.py", edits=[{"old": "one", "new": "1"}, {"old": "zzz", "new": "x"}]
    )
    assert bad.error and "edit 2 of 2" in bad.content
    assert (layout.root / "m.py").read_text() == "one\ntwo\nthree\n"
    good = await tools["edit"].execute(
        file="m.py", edits=[{"old": "one", "new": "1"}, {"old": "three", "new": "3"}]
    )
    assert not good.error and (layout.root / "m.py").read_text() == "1\ntwo\n3\n"


async def test_edit_line_range_and_insert(layout: Layout, tools: dict[str, Tool]) -> None:
    (layout.root / "r.txt").write_text("a\nb\nc\nd\n")
    await tools["edit"].execute(file="r.txt", start=2, end=3, new="B\nC")
    assert (layout.root / "r.txt").read_text() == "a\nB\nC\nd\n"
    await tools["edit"].execute(file="r.txt", start=1, end=0, new="top")
    assert (layout.root / "r.txt").read_text() == "top\na\nB\nC\nd\n"
    out = await tools["edit"].execute(file="r.txt", start=9, end=9, new="x")
    assert out.error and "outside the file" in out.content


async def test_edit_mixed_forms_are_refused(tools: dict[str, Tool]) -> None:
    result = await tools["edit"].execute(file="src/app.py", old="x", start=1, new="y")
    assert result.error and "old+new" in result.content


async def test_list_respects_gitignore_skips_git_and_caps(
    layout: Layout, ws: LocalWorkspace
) -> None:
    (layout.root / ".gitignore").write_text("build/\n*.log\n!keep.log\n")
    (layout.root / "build").mkdir()
    (layout.root / "build" / "out.o").write_text("x")
    (layout.root / "a.log").write_text("x")
    (layout.root / "keep.log").write_text("x")
    (layout.root / "src" / ".gitignore").write_text("generated.py\n")
    (layout.root / "src" / "generated.py").write_text("x")
    listing = (await ListTool(ws).execute(depth=3)).content.splitlines()
    assert "keep.log (1 B)" in listing and "src/app.py (25 B)" in listing
    for hidden in ("build/", "a.log", ".git/", "src/generated.py"):
        assert not any(line.startswith(hidden) for line in listing), hidden
    assert "link_dir (symlink)" in listing and not any(ln.startswith("link_dir/") for ln in listing)
    capped = await ListTool(ws, max_entries=2).execute()
    assert (
        capped.content.splitlines()[-1].startswith("[")
        and "more entries not shown" in capped.content
    )


async def test_list_depth(layout: Layout, ws: LocalWorkspace) -> None:
    (layout.root / "a" / "b" / "c").mkdir(parents=True)
    (layout.root / "a" / "b" / "c" / "f.txt").write_text("x")
    shallow = (await ListTool(ws).execute(path="a", depth=1)).content
    assert shallow == "a/b/"
    deep = (await ListTool(ws).execute(path="a", depth=3)).content
    assert "a/b/c/f.txt (1 B)" in deep


async def test_find_by_glob_and_text(
    layout: Layout, ws: LocalWorkspace, tools: dict[str, Tool]
) -> None:
    (layout.root / "tests").mkdir()
    (layout.root / "tests" / "test_app.py").write_text("from app import main\nassert main() == 1\n")
    (layout.root / ".gitignore").write_text("ignored.py\n")
    (layout.root / "ignored.py").write_text("main()\n")
    (layout.root / "blob.bin").write_bytes(b"\x00main()")
    glob = await tools["find"].execute(pattern="*.py")
    assert glob.content.splitlines() == ["src/app.py", "tests/test_app.py"]
    anchored = await tools["find"].execute(pattern="tests/**/test_*.py")
    assert anchored.content == "tests/test_app.py"
    text = await tools["find"].execute(text="main()")
    assert "tests/test_app.py:2: assert main() == 1" in text.content
    assert "ignored.py" not in text.content and "blob.bin" not in text.content
    regex = await tools["find"].execute(text=r"def \w+\(", regex=True)
    assert regex.content.startswith("src/app.py:1: def main():")
    bad = await tools["find"].execute(text="(", regex=True)
    assert bad.error and "regular expression" in bad.content
    assert (await tools["find"].execute()).error


async def test_find_caps_results(layout: Layout, ws: LocalWorkspace) -> None:
    (layout.root / "many.txt").write_text("hit\n" * 50)
    result = await FindTool(ws, max_results=5).execute(text="hit")
    assert len([ln for ln in result.content.splitlines() if ln.startswith("many.txt:")]) == 5
    assert "45 more matches not shown" in result.content
    assert "Found 50" in result.outcome


async def test_find_skips_huge_files(layout: Layout, ws: LocalWorkspace) -> None:
    (layout.root / "big.txt").write_text("needle\n" + "x" * 5000)
    result = await FindTool(ws, max_file_bytes=1000).execute(text="needle")
    assert result.content == "no matches found"


def test_workspace_root_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        LocalWorkspace(tmp_path / "missing")
