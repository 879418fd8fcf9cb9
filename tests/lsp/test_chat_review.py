"""``silcrow chat`` review and revert: hunks, prompts, and the terminal client against a real daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from silcrow.chat.review import answer_review, compose, hunks, revert_command

OLD = "a\nb\nc\nd\ne\n"
NEW = "A\nb\nc\nd\nE\nf\n"


def test_hunks_are_the_runs_of_changed_lines() -> None:
    found = hunks(OLD, NEW)
    assert [(h.start, h.end, h.lines) for h in found] == [(0, 1, ("A\n",)), (4, 5, ("E\n", "f\n"))]


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ((True, True), NEW),
        ((False, False), OLD),
        ((True, False), "A\nb\nc\nd\ne\n"),
        ((False, True), "a\nb\nc\nd\nE\nf\n"),
    ],
)
def test_compose_applies_exactly_the_chosen_hunks(chosen: tuple[bool, bool], expected: str) -> None:
    assert compose(OLD, NEW, chosen) == expected


def scripted(*answers: str) -> Any:
    queue: Iterator[str] = iter(answers)

    async def ask(_prompt: str) -> str:
        return next(queue)

    return ask


REVIEW = {
    "conversationId": "c",
    "turnId": "t",
    "files": [
        {"uri": "file:///w/x.py", "kind": "edit", "oldText": OLD, "newText": NEW},
        {"uri": "file:///w/n.py", "kind": "create", "oldText": None, "newText": "n\n"},
    ],
}


async def test_the_user_takes_one_hunk_of_one_file_and_rejects_the_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = await answer_review(REVIEW, scripted("h", "n", "y", "r"), accept_all=False)
    assert answer == {
        "files": [
            {"uri": "file:///w/x.py", "newText": "a\nb\nc\nd\nE\nf\n"},
            {"uri": "file:///w/n.py", "newText": None},
        ]
    }
    shown = capsys.readouterr().out
    assert "--- a/x.py\n+++ b/x.py\n" in shown and "+++ b/n.py" in shown and "-a\n+A\n" in shown


async def test_without_a_terminal_everything_is_rejected_and_yes_accepts_all() -> None:
    rejected = await answer_review(REVIEW, None, accept_all=False)
    accepted = await answer_review(REVIEW, None, accept_all=True)
    assert [f["newText"] for f in rejected["files"]] == [None, None]
    assert [f["newText"] for f in accepted["files"]] == [NEW, "n\n"]


async def test_revert_asks_before_overwriting_a_changed_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sent: list[dict[str, Any]] = []

    async def request(method: str, params: dict[str, Any]) -> Any:
        sent.append(params)
        if params.get("force"):
            return {"reverted": ["file:///w/x.py"], "conflicts": []}
        return {"reverted": [], "conflicts": ["file:///w/x.py"]}

    await revert_command(request, "c", "t", scripted("n"))
    await revert_command(request, "c", "t", scripted("y"))
    assert [p.get("force") for p in sent] == [None, None, True]
    out = capsys.readouterr().out
    assert "[nothing reverted]" in out and "[reverted: /w/x.py]" in out


def _chat(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
    call = {"name": "write", "args": {"file": "a.py", "content": "x = 2\n"}}
    script = {"replies": [f"§call: {json.dumps(call)}\n§execute\n", "§respond: ok\n§end\n"]}
    env.update(
        SILCROW_DB=str(tmp_path / "chat.db"),
        SILCROW_PROVIDER="fake",
        SILCROW_FAKE_SCRIPT=json.dumps(script),
    )
    return subprocess.run(
        [sys.executable, "-m", "silcrow.cli", "chat", *argv],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.slow  # starts the terminal client and a daemon: about 5 s each
@pytest.mark.parametrize(("flags", "expected"), [((), "x = 1\n"), (("--yes",), "x = 2\n")])
def test_the_terminal_client_shows_the_diff_before_anything_is_written(
    tmp_path: Path, flags: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    done = _chat(tmp_path, *flags, "--once", "change it")
    assert done.returncode == 0, done.stderr
    assert "-x = 1\n+x = 2\n" in done.stdout  # the unified diff
    assert (tmp_path / "a.py").read_text() == expected  # rejected without a terminal


@pytest.mark.slow  # the terminal client and a daemon on a pseudo-terminal: about 5 s
async def test_on_a_terminal_the_user_keeps_one_hunk_of_two(tmp_path: Path) -> None:
    import asyncio
    import pty

    (tmp_path / "a.py").write_text("x = 1\ny = 2\nz = 3\n")
    call = {"name": "write", "args": {"file": "a.py", "content": "x = 10\ny = 2\nz = 30\n"}}
    script = {"replies": [f"§call: {json.dumps(call)}\n§execute\n", "§respond: ok\n§end\n"]}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
    env.update(
        SILCROW_DB=str(tmp_path / "chat.db"),
        SILCROW_PROVIDER="fake",
        SILCROW_FAKE_SCRIPT=json.dumps(script),
    )
    leader, follower = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "silcrow.cli", "chat", "--once", "change it",
        cwd=tmp_path, env=env, stdin=follower, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    os.close(follower)
    assert proc.stdout is not None
    shown = ""
    answers = {"[h]unks? ": "h", "keep hunk 1? [y/n] ": "y", "keep hunk 2? [y/n] ": "n"}
    try:
        while answers:
            chunk = await asyncio.wait_for(proc.stdout.read(4096), 60)
            assert chunk, f"the client ended before it asked: {shown}"
            shown += chunk.decode()
            for prompt in [p for p in answers if shown.endswith(p)]:
                os.write(leader, (answers.pop(prompt) + "\n").encode())
        await asyncio.wait_for(proc.wait(), 60)
    finally:
        os.close(leader)
        if proc.returncode is None:
            proc.kill()
    assert (tmp_path / "a.py").read_text() == "x = 10\ny = 2\nz = 3\n"  # exactly the kept hunk
