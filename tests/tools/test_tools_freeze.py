"""Bounded tool work: deadlines, fuzzy edit hints, diffs, hostile .gitignore files, odd names.

The daemon-level attacks are in ``tests/reliability/test_freeze.py``; these
check each bound directly, including the inputs that try to get round it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from silcrow.agent.executor import Executor
from silcrow.protocol.calls import parse_call
from silcrow.protocol.events import CallToken
from silcrow.tools.base import Tool, ToolContext, ToolResult
from silcrow.tools.builtin.edit import EditTool
from silcrow.tools.builtin.list_files import ListTool
from silcrow.tools.deadline import DEADLINE, Deadline, DeadlineExceeded, checkpoint, off_loop
from silcrow.tools.edits import EditError, _diff_lines, diff_preview, nearest_lines, replace_exact
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.undecodable import valid_utf8
from silcrow.tools.walk import MAX_RULES, GitIgnore, walk

HOSTILE_RULE = "*a*a*a*a*a*a*a*a*b"


def token(name: str, **args: Any) -> CallToken:
    return parse_call(json.dumps({"name": name, "args": args}))


# -- deadlines ---------------------------------------------------------------------


class Spin(Tool):
    """Burns CPU in a worker thread, checking the deadline, and notes when it stopped."""

    name = "spin"
    category = "read"

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.started = threading.Event()

    async def execute(self, **_: Any) -> ToolResult:
        return await off_loop(self._spin)

    def _spin(self) -> ToolResult:
        self.started.set()
        try:
            while True:
                checkpoint()
                sum(range(1000))
        finally:
            self.stopped.set()


class Hang(Tool):
    name = "hang"
    category = "read"

    async def execute(self, **_: Any) -> ToolResult:
        await asyncio.Event().wait()
        return ToolResult("never")


class Shell(Tool):
    name = "shell"
    category = "read"  # the policy is not under test here

    async def execute(self, **_: Any) -> ToolResult:
        await asyncio.sleep(0.3)
        return ToolResult("slept")


async def test_a_tool_past_its_deadline_is_an_error_naming_the_deadline_and_its_thread_stops() -> (
    None
):
    spin = Spin()
    result = await Executor([spin], deadline=0.2).run(token("spin"), ToolContext())
    assert (
        result.error and "0.2 s deadline" in result.outcome and "narrow the call" in result.content
    )
    assert await asyncio.to_thread(spin.stopped.wait, 5)


async def test_an_awaiting_tool_past_its_deadline_is_an_error() -> None:
    result = await Executor([Hang()], deadline=0.1).run(token("hang"), ToolContext())
    assert result.error and "0.1 s deadline" in result.outcome


async def test_shell_keeps_its_own_timeout() -> None:
    result = await Executor([Shell()], deadline=0.05).run(token("shell"), ToolContext())
    assert not result.error and result.outcome == "slept"


async def test_cancelling_the_call_abandons_its_worker_thread() -> None:
    spin = Spin()
    task = asyncio.ensure_future(Executor([spin]).run(token("spin"), ToolContext()))
    assert await asyncio.to_thread(spin.started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(spin.stopped.wait, 5)


async def test_the_loop_answers_while_a_tool_works_off_it() -> None:
    spin = Spin()
    task = asyncio.ensure_future(Executor([spin], deadline=5).run(token("spin"), ToolContext()))
    assert await asyncio.to_thread(spin.started.wait, 5)
    ticks = 0
    for _ in range(10):
        await asyncio.sleep(0.01)
        ticks += 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ticks == 10


def test_a_tool_error_that_is_a_timeout_of_its_own_is_a_crash_not_a_deadline() -> None:
    class Slow(Tool):
        name = "slow"

        async def execute(self, **_: Any) -> ToolResult:
            raise TimeoutError("upstream timed out")

    result = asyncio.run(Executor([Slow()]).run(token("slow"), ToolContext()))
    assert (
        result.error and "deadline" not in result.outcome and "upstream timed out" in result.content
    )


def test_deadline_checks() -> None:
    now = [0.0]
    deadline = Deadline(1.0, clock=lambda: now[0])
    deadline.check()
    now[0] = 1.0
    with pytest.raises(DeadlineExceeded, match="1 s deadline"):
        deadline.check()
    endless = Deadline(None)
    endless.check()
    endless.abandon()
    with pytest.raises(DeadlineExceeded, match="abandoned"):
        endless.check()
    checkpoint()  # no current deadline: never raises


# -- edit: bounded hints ------------------------------------------------------------


def similar_file(lines: int) -> str:
    return "".join(f"    value_{i} = compute(alpha, beta, gamma) + {i}\n" for i in range(lines))


def test_a_huge_old_fails_fast_and_says_what_to_change() -> None:
    old = ("value = compute(alpha, beta, gamma) " * 600)[:20_000]
    start = time.process_time()
    with pytest.raises(EditError) as caught:
        replace_exact(similar_file(300), old, "x")
    assert time.process_time() - start < 2  # unbounded, this took 14 s of CPU
    message = str(caught.value)
    assert "20000 characters" in message and "start/end" in message and "Nearest lines" in message


@pytest.mark.parametrize("line_chars", [50, 5_000])
def test_the_nearest_lines_search_stops_at_its_work_limit(line_chars: int) -> None:
    text = "".join(f"{i} " + "q" * line_chars + "\n" for i in range(20_000))
    start = time.process_time()
    shown = nearest_lines(text, "x" * 50 + "q" * 150, work=200_000)
    assert time.process_time() - start < 2
    assert "were compared; the search has a work limit" in shown


def test_nearest_lines_still_finds_the_closest_line() -> None:
    text = similar_file(50)
    shown = nearest_lines(text, "value_37 = compute(alpha, beta, gamma) + 37\nmore")
    assert "    38\t    value_37 =" in shown and "work limit" not in shown


def test_the_hint_search_obeys_the_deadline() -> None:
    deadline = Deadline(None)
    deadline.abandon()
    reset = DEADLINE.set(deadline)
    try:
        with pytest.raises(DeadlineExceeded):
            nearest_lines(similar_file(1000), "value = 1")
    finally:
        DEADLINE.reset(reset)


async def test_the_edit_tool_reports_a_huge_old_as_an_error(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(similar_file(300))
    tool = EditTool(LocalWorkspace(tmp_path))
    result = await tool.execute(file="calc.py", old="z" * 30_000, new="y")
    assert result.error and "30000 characters" in result.content


# -- edit: bounded diffs -------------------------------------------------------------


def hunks(diff: list[str]) -> list[tuple[int, int, list[str], list[str]]]:
    """Each hunk of a one-file unified diff: (old start, new start, old lines, new lines)."""
    out: list[tuple[int, int, list[str], list[str]]] = []
    for line in diff[2:]:
        if line.startswith("@@"):
            old_at, new_at = (int(part[1:].split(",")[0]) for part in line.split()[1:3])
            out.append((old_at, new_at, [], []))
            continue
        if line[:1] in (" ", "-"):
            out[-1][2].append(line[1:])
        if line[:1] in (" ", "+"):
            out[-1][3].append(line[1:])
    return out


def at(lines: list[str], start: int, count: int) -> list[str]:
    first = start - 1 if count else start  # an empty range names the line before it
    return lines[first : first + count]


@pytest.mark.slow  # hypothesis: 300 examples, about 1-3 s
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("abcde"), max_size=30),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from("xyz-")), max_size=5),
)
def test_trimmed_diffs_cover_the_right_lines(a: list[str], changes: list[tuple[int, str]]) -> None:
    b = list(a)
    for where, what in changes:
        if what == "-" and b:
            del b[where % len(b)]
        else:
            b.insert(where % (len(b) + 1), what)
    diff = _diff_lines(a, b, "f")
    assert (diff == []) == (a == b)
    for old_at, new_at, old, new in hunks(diff):
        assert at(a, old_at, len(old)) == old
        assert at(b, new_at, len(new)) == new
    old_total = sum(1 for ln in diff[2:] if ln[:1] == "-")
    new_total = sum(1 for ln in diff[2:] if ln[:1] == "+")
    assert len(a) - old_total == len(b) - new_total  # what is kept is the same on both sides


def test_a_diff_too_large_for_difflib_is_one_hunk() -> None:
    before = [f"line {i}" for i in range(3000)]
    after = [f"LINE {i}" if i % 3 == 0 else f"line {i}" for i in range(3000)]
    start = time.process_time()
    diff = _diff_lines(before, after, "f")
    assert time.process_time() - start < 2
    assert (
        diff[2] == "@@ -1,3000 +1,3000 @@"
    )  # lines 1-2998 changed (the last at 2998), 2 lines of context
    ((old_at, new_at, old, new),) = hunks(diff)
    assert (old_at, new_at, old, new) == (1, 1, before, after)
    text, added, removed = diff_preview("\n".join(before), "\n".join(after), "f")
    assert added == removed == 2998 and text.endswith("[... diff truncated ...]")


# -- .gitignore --------------------------------------------------------------------


def tree(root: Path, ignore: str) -> None:
    (root / ".gitignore").write_text(ignore)
    for n in (60, 120, 200):
        (root / ("a" * n)).write_text("x")
        (root / ("a" * (n - 1) + "b")).write_text("x")


def names(root: Path, ignore: GitIgnore) -> list[str]:
    return [e.rel for e in walk(root, root, depth=2, ignore=ignore)]


def test_a_backtracking_gitignore_rule_matches_in_linear_time(tmp_path: Path) -> None:
    tree(tmp_path, HOSTILE_RULE + "\n")
    start = time.process_time()
    listed = names(tmp_path, GitIgnore(tmp_path))
    assert time.process_time() - start < 2  # Python's re: minutes
    assert "a" * 200 in listed and "a" * 199 + "b" not in listed


def test_too_many_rules_or_rules_re2_cannot_compile_are_not_applied_and_named(
    tmp_path: Path,
) -> None:
    many = tmp_path / "many"
    many.mkdir()
    tree(many, "".join(f"*{i}*\n" for i in range(MAX_RULES + 1)) + "a*b\n")
    ignore = GitIgnore(many)
    assert "a" * 59 + "b" in names(many, ignore)
    assert ignore.notes == [f".gitignore not applied: {MAX_RULES + 2} rules, more than {MAX_RULES}"]
    heavy = tmp_path / "heavy"
    heavy.mkdir()
    tree(heavy, "".join(f"*a*a*a*a*a*{i}*b/**/x{i}?\n" for i in range(MAX_RULES)))
    ignore = GitIgnore(heavy)
    start = time.process_time()
    names(heavy, ignore)
    assert time.process_time() - start < 10
    assert ignore.notes and "do not compile for linear-time matching" in ignore.notes[0]


async def test_list_names_a_gitignore_it_could_not_apply(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("#\n" + "x" * (300 * 1024))
    result = await ListTool(LocalWorkspace(tmp_path)).execute()
    assert "[note: .gitignore not applied: larger than 256 KiB]" in result.content


def test_a_walk_stops_at_the_deadline(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"f{i}").write_text("x")
    deadline = Deadline(None)
    deadline.abandon()
    reset = DEADLINE.set(deadline)
    try:
        with pytest.raises(DeadlineExceeded):
            names(tmp_path, GitIgnore(tmp_path))
    finally:
        DEADLINE.reset(reset)


# -- names that are not UTF-8 ---------------------------------------------------------


def test_valid_utf8_escapes_undecodable_bytes_and_lone_surrogates() -> None:
    assert valid_utf8("plain é") == "plain é"
    assert valid_utf8(os.fsdecode(b"bad\xff.txt")) == "bad\\xff.txt"
    assert valid_utf8("half \ud800 pair") == "half \\ud800 pair"
    assert valid_utf8(os.fsdecode(b"\xc3\x28")).encode("utf-8") == b"\\xc3("


async def test_list_shows_a_non_utf8_name_escaped(tmp_path: Path) -> None:
    os.close(os.open(os.fsencode(tmp_path) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    (tmp_path / "sub\udcfe").mkdir()
    result = await ListTool(LocalWorkspace(tmp_path)).execute()
    assert result.content.splitlines() == ["bad\\xff.txt (0 B)", "sub\\xfe/"]
    result.content.encode("utf-8")


async def test_the_executor_makes_every_result_valid_utf8() -> None:
    class Odd(Tool):
        name = "odd"

        async def execute(self, **_: Any) -> ToolResult:
            return ToolResult("saw bad\udcff", "and \ud800 here")

    result = await Executor([Odd()]).run(token("odd"), ToolContext())
    assert (result.outcome, result.content) == ("saw bad\\xff", "and \\ud800 here")


class GitJudge:
    """``git check-ignore`` in a scratch repository: is ``path`` ignored by ``rules``?"""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        subprocess.run(["git", "init", "-q", str(repo)], check=True)

    def __call__(self, rules: list[str], path: str) -> bool:
        (self.repo / ".gitignore").write_text("\n".join(rules) + "\n")
        out = subprocess.run(
            [
                "git",
                "-C",
                str(self.repo),
                "check-ignore",
                "--no-index",
                "-v",
                "-n",
                "-z",
                "--stdin",
            ],
            input=path + "\0",
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split("\0")
        source, pattern = out[0], out[2]
        return bool(source) and not pattern.startswith("!")


@pytest.fixture(scope="module")
def git_judge(tmp_path_factory: pytest.TempPathFactory) -> GitJudge:
    return GitJudge(tmp_path_factory.mktemp("git-judge"))


RULE_PARTS = st.sampled_from(
    ["a", "b", "*", "**", "?", "[ab]", "x.py", "dir", "/", "!", "\\!", " ", "#"]
)
PATH_PARTS = st.sampled_from(["a", "b", "ab", "x.py", "dir", "ba", "!a", "a b"])


@pytest.mark.slow  # hypothesis: 300 examples, about 1-3 s
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.lists(RULE_PARTS, min_size=1, max_size=5).map("".join), min_size=1, max_size=6),
    st.lists(st.lists(PATH_PARTS, min_size=1, max_size=4).map("/".join), min_size=1, max_size=6),
    st.booleans(),
)
def test_re2_matching_gives_the_reference_answers(
    git_judge: GitJudge, rules: list[str], paths: list[str], is_dir: bool
) -> None:
    """The re2 backend ``walk`` uses agrees with pathspec's reference (Python ``re``) backend;
    where the two differ, git itself (``git check-ignore``) says which is right, and it must
    be re2 as ``walk`` uses it (pathspec 1.1.1's reference gets ``!*`` then ``a`` wrong for
    the folder ``a/``)."""
    import pathspec

    try:
        reference = pathspec.GitIgnoreSpec.from_lines(rules, backend="simple")
    except Exception:  # a rule pathspec itself refuses: nothing to compare
        return
    linear = pathspec.GitIgnoreSpec.from_lines(rules, backend="re2")
    for path in paths:
        path += "/" if is_dir else ""
        answer = linear.check_file(path).include
        if answer == reference.check_file(path).include:
            continue
        # git prunes ignored folders (nothing under one can be re-included), as ``walk``
        # does by not entering them: under a folder git ignores, re2 must ignore the folder.
        parts = path.rstrip("/").split("/")
        folders = ["/".join(parts[:n]) + "/" for n in range(1, len(parts))]
        pruned = next((f for f in folders if git_judge(rules, f)), None)
        if pruned is not None:
            assert linear.check_file(pruned).include, (rules, pruned)
        else:
            assert answer == git_judge(rules, path), (rules, path)
