"""Context items filled in from the workspace, and the project rules (silcrow.agent.context, .rules)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from silcrow.agent.context import MAX_CHARS, MAX_LINES, resolve_context
from silcrow.agent.rules import HEADING, ProjectRules
from silcrow.tools.local import LocalWorkspace


def resolved(root: Path, *items: dict[str, object]) -> list[dict[str, object]]:
    return asyncio.run(resolve_context(list(items), LocalWorkspace(root)))


def test_a_large_file_is_cut_to_its_first_lines_with_a_note_naming_the_next_range(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.py"
    big.write_text("".join(f"line {n}\n" for n in range(1, 1001)))
    (item,) = resolved(tmp_path, {"kind": "file", "uri": big.as_uri()})
    text, note = str(item["text"]), str(item["note"])
    assert text.splitlines()[-1] == f"line {MAX_LINES}" and f"line {MAX_LINES + 1}" not in text
    assert "1000 lines" in note and f'"start": {MAX_LINES + 1}' in note


def test_selections_symbols_and_diagnostics_are_read_from_their_range(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return x\n\nprint(f())\n")
    uri = (tmp_path / "a.py").as_uri()
    rng = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 12}}
    diagnostic = {"range": rng, "message": "undefined name 'x'", "severity": 2, "code": "F821"}
    selection, symbol, problems, given = resolved(
        tmp_path,
        {"kind": "selection", "uri": uri, "range": rng},
        {
            "kind": "symbol",
            "uri": uri,
            "name": "f",
            "range": {"start": {"line": 0}, "end": {"line": 2}},
        },
        {"kind": "diagnostics", "uri": uri, "diagnostics": [diagnostic]},
        {"uri": uri, "range": rng, "text": "as sent"},
    )
    assert selection["text"] == "return x"
    assert symbol["text"] == "def f():\n    return x\n"
    assert problems["text"] == "a.py:2:5 warning [F821] undefined name 'x'\n    return x"
    assert given["text"] == "as sent"  # the first contract's item keeps its text


def test_a_uri_outside_the_workspace_or_a_secret_is_a_note_never_its_text(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "out.txt").write_text("outside\n")
    (root / ".env").write_text("TOKEN=abc\n")
    outside, secret, web = resolved(
        root,
        {"kind": "file", "uri": (tmp_path / "out.txt").as_uri()},
        {"kind": "file", "uri": (root / ".env").as_uri()},
        {"kind": "file", "uri": "https://example.com/x"},
    )
    for item in (outside, secret, web):
        assert "text" not in item and "could not be read" in str(item["note"])


def test_rules_files_in_order_with_the_setting_and_re_read_when_changed(tmp_path: Path) -> None:
    setting = ["be brief"]
    rules = ProjectRules(tmp_path, lambda: setting[0])
    assert rules() == f"{HEADING}\n\n## Instructions from the user's settings\nbe brief"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".cursorrules").write_text("cursor rule\n")
    (tmp_path / ".github" / "copilot-instructions.md").write_text("copilot rule\n")
    (tmp_path / "AGENTS.md").write_text("agents rule\n")
    text = rules()
    order = ["## AGENTS.md", "## .github/copilot-instructions.md", "## .cursorrules", "be brief"]
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
    (tmp_path / "AGENTS.md").write_text("agents rule, changed\n")
    os.utime(tmp_path / "AGENTS.md", ns=(1, 1))  # a different mtime even on a coarse clock
    setting[0] = ""
    assert "agents rule, changed" in rules() and "be brief" not in rules()


def test_a_rules_file_linked_from_outside_the_workspace_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "elsewhere.md").write_text("outside text\n")
    (root / "AGENTS.md").symlink_to(tmp_path / "elsewhere.md")
    assert ProjectRules(root)() == ""


def test_an_item_sent_with_its_text_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("on disk\n")
    (item,) = resolved(
        tmp_path, {"kind": "file", "uri": (tmp_path / "a.py").as_uri(), "text": "sent"}
    )
    assert item["text"] == "sent"


def test_a_huge_selection_is_cut_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "wide.txt").write_text("x" * 50_000 + "\n")
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}
    (item,) = resolved(
        tmp_path, {"kind": "selection", "uri": (tmp_path / "wide.txt").as_uri(), "range": rng}
    )
    assert len(str(item["text"])) == MAX_CHARS and "50001 characters" in str(item["note"])
