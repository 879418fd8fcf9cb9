"""The daemon process: start-up answer, exit on EOF and on a dead parent, guarded reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_harness import SERVE
from lsprotocol.converters import get_converter
from pytest_lsp import client_capabilities

from reliability import test_edges as tcp_daemon
from support.rpc import frame

pytestmark = pytest.mark.slow  # every test starts a daemon process


def initialize(process_id: int | None, msg_id: int = 1) -> bytes:
    return frame(
        {
            "jsonrpc": "2.0",
            "id": msg_id,
            "method": "initialize",
            "params": {"processId": process_id, "rootUri": None, "capabilities": {}},
        }
    )


def read_message(stream: Any) -> dict[str, Any]:
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def spawn(tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
    env["SILCROW_DB"] = str(tmp_path / "db.sqlite")
    return subprocess.Popen(
        SERVE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )


def messages_until(stream: Any, msg_id: int) -> list[dict[str, Any]]:
    seen = []
    while True:
        message = read_message(stream)
        seen.append(message)
        if message.get("id") == msg_id:
            return seen


def test_stdin_eof_ends_the_daemon(tmp_path: Path) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(initialize(os.getpid()))
    proc.stdin.flush()
    assert read_message(proc.stdout)["result"]["serverInfo"]["name"] == "silcrow"
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


def test_a_dead_parent_process_ends_the_daemon(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(initialize(parent.pid))
        proc.stdin.flush()
        read_message(proc.stdout)
        parent.kill()
        parent.wait()
        assert proc.wait(timeout=30) == 1  # stdin is still open: only the watchdog can end it
    finally:
        proc.kill()
        proc.wait()


def test_exit_after_shutdown_is_clean(tmp_path: Path) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(initialize(os.getpid()))
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0


def test_malformed_frames_log_and_pop_up_once_and_a_huge_length_is_skipped(tmp_path: Path) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    junk = b"".join(b"Content-Length: 9\r\n\r\nnot json!" for _ in range(5))
    huge = b"Content-Length: 9000000000000\r\n\r\n"
    proc.stdin.write(initialize(os.getpid()) + junk + b'Content-Length: 11\r\n\r\n{"a": [1, 2')
    proc.stdin.write(
        frame(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "silcrow/cancel",
                "params": {"conversationId": "x"},
            }
        )
    )
    proc.stdin.flush()
    seen = messages_until(proc.stdout, 2)
    popups = [m for m in seen if m.get("method") == "window/showMessage"]
    logs = [m for m in seen if m.get("method") == "window/logMessage"]
    assert len(popups) == 1 and "malformed" in popups[0]["params"]["message"]
    assert len(logs) >= 6  # every bad frame is logged
    assert seen[-1]["result"] == {"cancelled": False}  # still in step and answering

    proc.stdin.write(huge)  # must not allocate 9 TB; the body is discarded as it streams past
    proc.stdin.write(b"x" * 65536)
    proc.stdin.flush()
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    assert b"MemoryError" not in (proc.stderr.read() if proc.stderr else b"")


def test_invalid_params_for_a_standard_request_get_an_error_response(tmp_path: Path) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(initialize(os.getpid()))
    proc.stdin.write(
        frame(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "textDocument/codeAction",
                "params": {"textDocument": 5},
            }
        )
    )
    proc.stdin.flush()
    seen = messages_until(proc.stdout, 2)
    assert seen[-1]["error"]["code"] == -32602
    assert not [m for m in seen if m.get("method") == "window/showMessage"]
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize("kind", ["neovim", "visual-studio-code"])
def test_fast_initialize_answer_matches_what_pygls_computes(kind: str, tmp_path: Path) -> None:
    """Over stdio the first ``initialize`` is answered early; over TCP pygls answers it."""
    caps = get_converter().unstructure(client_capabilities(kind))
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(
        frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": caps},
            }
        )
    )
    proc.stdin.flush()
    fast = read_message(proc.stdout)["result"]
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    tcp = tcp_daemon.spawn_tcp(tmp_path, "127.0.0.1:0")
    try:
        message = tcp_daemon.initialize(tcp.token)
        message["params"]["capabilities"] = caps
        received = tcp_daemon.exchange(tcp, frame(message), until=tcp_daemon.answered)
    finally:
        tcp.proc.terminate()
        tcp.proc.wait(timeout=30)
    computed = next(r["result"] for r in tcp_daemon.replies(received) if r.get("id") == 1)
    assert fast["capabilities"] == computed["capabilities"]
    assert fast["serverInfo"]["name"] == "silcrow"


def test_a_request_before_initialize_is_server_not_initialized(tmp_path: Path) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    prompt = {"jsonrpc": "2.0", "id": 1, "method": "silcrow/prompt", "params": {"text": "hi"}}
    proc.stdin.write(frame(prompt))
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))  # dropped
    proc.stdin.write(initialize(os.getpid(), msg_id=2))
    proc.stdin.flush()
    seen = messages_until(proc.stdout, 2)
    refused = next(m for m in seen if m.get("id") == 1)
    assert refused["error"]["code"] == -32002 and "initialize" in refused["error"]["message"]
    assert seen[-1]["result"]["serverInfo"]["name"] == "silcrow"  # initialize still works
    assert not [m for m in seen if m.get("method") == "silcrow/event"]  # no turn ran
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


def test_a_request_after_shutdown_is_invalid_request_and_exit_still_works(tmp_path: Path) -> None:
    proc = spawn(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(initialize(os.getpid()))
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    listing = {"jsonrpc": "2.0", "id": 3, "method": "silcrow/conversations", "params": {}}
    proc.stdin.write(frame(listing))
    proc.stdin.flush()
    seen = messages_until(proc.stdout, 3)
    assert next(m for m in seen if m.get("id") == 2)["result"] is None
    assert seen[-1]["error"]["code"] == -32600 and "exit" in seen[-1]["error"]["message"]
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
