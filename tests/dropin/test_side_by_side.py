"""Silcrow beside Cogency 3.2.0 itself, where Cogency's behaviour is the spec.

Cogency runs from the ``cogency==3.2.0`` wheel in its own virtual
environment (``scripts/bench_cogency.py``'s ``ensure_venv``: created once
under ``.bench/``, reused afterwards), through ``cogency_side.py``; Silcrow
runs here, on the same folder layout and the same requests. Compared: every
argument name of Cogency's built-in tools is taken by Silcrow's tool of that
name, the aliases do what Cogency's tools do with them, and the history a
second user on one conversation id is sent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dropin.kit import call
from silcrow import Agent
from silcrow.testing import FakeProvider, Script
from silcrow.tools.aliases import ALIASES
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.policy import PermissionPolicy
from silcrow.tools.registry import default_tools
from silcrow.tools.schema import normalise

pytestmark = pytest.mark.slow  # the first run installs Cogency (about a minute)

HERE = Path(__file__).parent
SCRIPTS = HERE.parents[1] / "scripts"


@pytest.fixture(scope="module")
def cogency(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    sys.path.insert(0, str(SCRIPTS))
    try:
        import bench_cogency
    finally:
        sys.path.remove(str(SCRIPTS))
    problem = bench_cogency.ensure_venv()
    if problem:
        pytest.skip(f"cannot install Cogency 3.2.0 to compare with: {problem}")
    folder = tmp_path_factory.mktemp("cogency")
    done = subprocess.run(
        [str(bench_cogency.VENV / "bin" / "python"), str(HERE / "cogency_side.py"), str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,  # Cogency makes .cogency/ in the current directory on import
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_cogency_argument_name_is_taken(cogency: dict[str, Any], ws: LocalWorkspace) -> None:
    ours = {tool.name: tool for tool in default_tools(ws, store=object())}
    for name, arguments in cogency["schemas"].items():
        props, _ = normalise(ours[name].args)
        alias = ALIASES[name][0] if name in ALIASES else None
        assert set(arguments) <= set(props) | {alias}, name


async def test_the_aliases_do_what_cogencys_tools_do(
    cogency: dict[str, Any], ws: LocalWorkspace, tmp_path: Path
) -> None:
    replies = [
        call("read", file="notes.txt", start=3, lines=2),  # Cogency's start=2 is 0-based
        call("write", file="notes.txt", content="x", overwrite=False),
        call("write", file="notes.txt", content="y\n", overwrite=True),
        call("list", path="src", pattern="*.py"),
        call("find", content="hello world"),
        call("shell", command="pwd", cwd="src"),
        "§end",
    ]
    provider = FakeProvider(Script.of(replies), resume=False)
    permissions = PermissionPolicy.allow_all()
    async with Agent(provider, tmp_path / "e.db", workspace=ws, permissions=permissions) as a:
        events = [e async for e in a("go")]
    ours = [e for e in events if e.type == "result"]
    theirs = cogency["tools"]
    names = ("read", "write_refused", "write_replaced", "list", "find", "shell")
    mine = dict(zip(names, ours, strict=True))

    def lines(text: str) -> list[str]:
        return [re.sub(r"^\s*\d+[:\t]\s?", "", line) for line in text.splitlines() if line.strip()]

    assert lines(mine["read"].content) == lines(theirs["read"]["content"]) == ["line 3", "line 4"]
    assert mine["write_refused"].payload["error"] and theirs["write_refused"]["error"]
    assert (ws.root / "notes.txt").read_text() == theirs["notes_after"]["content"]
    assert "src/app.py" in mine["list"].content and "notes.txt" not in mine["list"].content
    assert theirs["list"]["content"].endswith("app.py")
    assert "src/app.py:1: print('Hello World')" in mine["find"].content
    assert "src/app.py:1: print('Hello World')" in theirs["find"]["content"]
    assert mine["shell"].content.splitlines()[0] == str(ws.root / "src")
    assert theirs["shell"]["content"].endswith("/project/src")


async def test_a_second_user_is_sent_what_cogency_sends(
    cogency: dict[str, Any], ws: LocalWorkspace, tmp_path: Path
) -> None:
    provider = FakeProvider(Script.of(["§respond: ok\n§end"] * 3), resume=False)
    async with Agent(provider, tmp_path / "e.db", workspace=ws) as agent:
        for user, text in (("alice", "alice's secret"), ("bob", "bob asks"), (None, "anyone")):
            [e async for e in agent(text, conversation_id="shared", user_id=user)]
    sent = [[m.content for m in request if m.role == "user"] for request in provider.requests]
    assert sent == cogency["history"]
