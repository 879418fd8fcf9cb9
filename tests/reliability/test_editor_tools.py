"""Tools through the editor (issue 20): shell commands in the client's terminal, reads through the client.

A raw client declares ``experimental.silcrow.terminal`` and ``readFile`` and
plays the editor: it runs the line ``silcrow/terminal/run`` gives it in
``bash`` (as an editor's terminal would), sends what it prints as
``silcrow/terminal/output``, answers ``{exitCode}``, and stops the process
on ``silcrow/terminal/kill``. Checked: the output streams to the chat in
order and the result carries the exit code; cancel kills the command within
a second; a client that never answers or refuses does not hang the turn; a
read of an unopened file gets the client's text, not the disk's, under the
same secret rules as a disk read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from reliability.procs import RawDaemon, RpcError
from silcrow.tools.sandbox import probe

CAPS = {"experimental": {"silcrow": {"permissions": True, "terminal": True, "readFile": True}}}
GONE_LIMIT = 1.0  # seconds from the cancel to the command being gone (issue 8's bound)


def call(name: str, **args: Any) -> str:
    return "§call: " + json.dumps({"name": name, "args": args}) + "\n§execute\n"


class EditorTerminal:
    """The client's terminal: each run is ``bash -c line`` in its own process group."""

    def __init__(self) -> None:
        self.daemon: RawDaemon | None = None
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.killed: dict[str, float] = {}

    async def run(self, params: dict[str, Any]) -> dict[str, Any]:
        assert self.daemon is not None
        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", params["command"], cwd=params["cwd"], start_new_session=True,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        self.procs[params["runId"]] = proc
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(4096):
            self.daemon.notify(
                "silcrow/terminal/output", {"runId": params["runId"], "data": chunk.decode()}
            )
        return {"exitCode": await proc.wait()}

    def watch_kills(self) -> None:
        """Stop a run's process group when its ``silcrow/terminal/kill`` arrives (as an editor does)."""
        assert self.daemon is not None
        for note in self.daemon.notifications:
            run_id = (note["params"] or {}).get("runId")
            if note["method"] == "silcrow/terminal/kill" and run_id not in self.killed:
                self.killed[run_id] = time.monotonic()
                proc = self.procs.get(run_id)
                if proc is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)


async def start(
    tmp_path: Path, replies: list[str], answer: Any, permissions: str = "allow"
) -> RawDaemon:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    d = await RawDaemon.spawn(tmp_path / "silcrow.db", cwd=root)
    d.answer_server_request = answer
    settings = {
        "permissions": {"shell": permissions},
        "fakeScript": {"replies": [*replies, "§respond: done\n§end\n"], "chunk": 4096},
    }
    await d.initialize([root], settings, CAPS)
    return d


def answers(terminal: EditorTerminal, reads: dict[str, str] | None = None) -> Any:
    def answer(method: str, params: Any) -> Any:
        if method == "silcrow/terminal/run":
            return terminal.run(params)
        if method == "silcrow/readFile":
            return {"text": (reads or {})[Path(params["uri"].removeprefix("file://")).name]}
        return {"optionId": "allow_once"} if method == "silcrow/requestPermission" else None

    return answer


def of_type(d: RawDaemon, kind: str) -> list[dict[str, Any]]:
    return [e for e in d.events if e["type"] == kind]


async def test_the_command_runs_in_the_editor_terminal_and_its_output_streams(
    tmp_path: Path,
) -> None:
    terminal = EditorTerminal()
    command = (
        "for i in 1 2 3; do echo line$i; sleep 0.2; done; printf '\\033[31mred\\033[0m\\n'; exit 3"
    )
    d = await start(tmp_path, [call("shell", command=command)], answers(terminal))
    terminal.daemon = d
    try:
        result = await d.request("silcrow/prompt", {"text": "run it"})
    finally:
        await d.close()
    assert result["stopReason"] == "end"
    runs = [r["params"] for r in d.requests if r["method"] == "silcrow/terminal/run"]
    assert len(runs) == 1 and runs[0]["cwd"] == str(tmp_path / "ws")
    line = runs[0]["command"]
    assert line.startswith(f"cd -- {tmp_path / 'ws'} && env -i ") and command.split(";")[0] in line
    outputs = of_type(d, "output")
    assert "".join(e["content"] for e in outputs) == "line1\nline2\nline3\nred\n"  # escapes gone
    kinds = [e["type"] for e in d.events]
    assert kinds.index("result") > max(i for i, k in enumerate(kinds) if k == "output")
    (shell_result,) = of_type(d, "result")
    assert shell_result["payload"]["outcome"].endswith("exited 3")
    assert "line1\nline2\nline3\nred" in shell_result["content"]
    assert "[exit code 3]" in shell_result["content"]


@pytest.mark.skipif(probe().sandbox is None, reason="no sandbox (bubblewrap) here")
async def test_the_editor_runs_the_sandboxed_line_with_the_allowlisted_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIENT_SIDE_TOKEN", "s3cret-in-the-editor")  # the terminal's environment
    terminal = EditorTerminal()
    command = "echo token=$CLIENT_SIDE_TOKEN; touch ../escaped"
    d = await start(tmp_path, [call("shell", command=command)], answers(terminal))
    terminal.daemon = d
    try:
        await d.request("silcrow/prompt", {"text": "run it"})
    finally:
        await d.close()
    (run,) = [r["params"] for r in d.requests if r["method"] == "silcrow/terminal/run"]
    assert (
        "bwrap" in run["command"]
        and "--die-with-parent" in run["command"]
        and "--unshare-net" in run["command"]
    )
    (shell_result,) = of_type(d, "result")
    assert "token=\n" in shell_result["content"] and "s3cret" not in shell_result["content"]
    assert not (tmp_path / "escaped").exists()  # outside the root nothing is written


async def test_cancel_sends_kill_and_the_command_is_gone_within_a_second(tmp_path: Path) -> None:
    terminal = EditorTerminal()
    d = await start(tmp_path, [call("shell", command="echo started; sleep 30")], answers(terminal))
    terminal.daemon = d
    try:
        prompt = asyncio.ensure_future(d.request("silcrow/prompt", {"text": "run it"}))
        while not of_type(d, "output"):  # noqa: ASYNC110 - events arrive on the reader task
            await asyncio.sleep(0.02)
        (proc,) = terminal.procs.values()
        sent = time.monotonic()
        await d.request("silcrow/cancel", {"conversationId": d.events[0]["conversationId"]})
        while proc.returncode is None and time.monotonic() - sent < 5:
            terminal.watch_kills()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), 0.02)
        gone = time.monotonic() - sent
        result = await asyncio.wait_for(prompt, 10)
        await asyncio.wait_for(asyncio.gather(*d._answering), 10)  # the late answer went out
        await d.request("silcrow/conversations", {})  # and the daemon has read it
    finally:
        await d.close()
    assert result["stopReason"] == "cancelled"
    assert proc.returncode is not None and gone < GONE_LIMIT, f"still running after {gone:.2f}s"
    # The answer that came after the kill is ignored: no error shown, nothing logged as one.
    assert not [n for n in d.notifications if n["method"] == "window/showMessage"]
    assert b"Traceback" not in d.stderr and b"ERROR" not in d.stderr, d.stderr.decode()[-2000:]


async def test_a_client_that_never_answers_does_not_hang_the_turn(tmp_path: Path) -> None:
    never = asyncio.Event()

    def answer(method: str, params: Any) -> Any:
        if method == "silcrow/terminal/run":
            return never.wait()  # never set
        return None

    d = await start(tmp_path, [call("shell", command="true", timeout=1)], answer)
    try:
        result = await asyncio.wait_for(d.request("silcrow/prompt", {"text": "run it"}), 30)
    finally:
        await d.close()
    assert result["stopReason"] == "end"
    (shell_result,) = of_type(d, "result")
    assert "timed out after 1s" in shell_result["payload"]["outcome"]
    kills = [n for n in d.notifications if n["method"] == "silcrow/terminal/kill"]
    run_id = next(r["params"]["runId"] for r in d.requests if r["method"] == "silcrow/terminal/run")
    assert [k["params"] for k in kills] == [{"runId": run_id}]


async def test_a_refusing_client_gets_the_command_run_by_the_daemon(tmp_path: Path) -> None:
    async def refuse() -> None:
        raise RpcError({"code": -32603, "message": "no shell integration in this terminal"})

    def answer(method: str, params: Any) -> Any:
        return refuse() if method == "silcrow/terminal/run" else None

    d = await start(tmp_path, [call("shell", command="echo from-daemon")], answer)
    try:
        result = await d.request("silcrow/prompt", {"text": "run it"})
    finally:
        await d.close()
    assert result["stopReason"] == "end"
    (shell_result,) = of_type(d, "result")
    assert "from-daemon" in shell_result["content"] and "[exit code 0]" in shell_result["content"]
    assert "".join(e["content"] for e in of_type(d, "output")) == "from-daemon\n"


async def test_an_unopened_file_is_read_through_the_client(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "notes.txt").write_text("on disk\n")
    (root / "key.txt").write_text("nothing here\n")
    (root / ".env").write_text("TOKEN=on-disk\n")
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    served = {"notes.txt": "from the editor's file system\n", "key.txt": key, ".env": "TOKEN=x\n"}
    replies = [
        call("read", file="notes.txt"),
        call("read", file="key.txt"),
        call("read", file=".env"),
    ]
    d = await start(tmp_path, replies, answers(EditorTerminal(), served))
    try:
        result = await d.request("silcrow/prompt", {"text": "read them"})
    finally:
        await d.close()
    assert result["stopReason"] == "end"
    notes, key_result, env_result = of_type(d, "result")
    assert "from the editor's file system" in notes["content"] and "on disk" not in notes["content"]
    # What the client serves is held to the rules of a disk read.
    assert (
        key_result["payload"]["error"] and "b3BlbnNzaC1rZXktdjEAAAAA" not in key_result["content"]
    )
    assert env_result["payload"]["error"]
    asked = [Path(r["params"]["uri"]).name for r in d.requests if r["method"] == "silcrow/readFile"]
    assert asked == ["notes.txt", "key.txt"]  # the secret-named file is refused before asking
