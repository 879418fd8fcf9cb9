"""Smoke test of an installed daemon: ``initialize`` over stdio, then one question.

Run by the interpreter of the environment under test (stdlib only), so it
checks the installed ``silcrow`` console script, not the checkout:

1. ``<bin>/silcrow --version`` prints ``silcrow <version>``;
2. ``<bin>/silcrow serve`` answers ``initialize`` with
   ``serverInfo.version == <version>`` and exits after ``shutdown``/``exit``;
3. ``<bin>/silcrow chat --once`` in an empty folder, with no API key in its
   environment, answers with the offline demo.

Usage: python scripts/smoke_daemon.py BIN_DIR VERSION
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

KEYS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "SILCROW_PROVIDER",
)


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_frame(stream: object) -> dict[str, object]:
    length = 0
    while True:
        line = stream.readline()  # type: ignore[attr-defined]
        if not line:
            raise SystemExit("smoke: the daemon closed stdout before answering")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(stream.read(length))  # type: ignore[attr-defined,no-any-return]


def check_initialize(silcrow: str, version: str, env: dict[str, str], home: str) -> None:
    daemon = subprocess.Popen(
        [silcrow, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=home
    )
    assert daemon.stdin is not None and daemon.stdout is not None
    init = {"processId": None, "rootUri": None, "capabilities": {}}
    daemon.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
    daemon.stdin.flush()
    answer = read_frame(daemon.stdout)
    info = answer.get("result", {}).get("serverInfo", {})  # type: ignore[union-attr]
    if info.get("version") != version:
        raise SystemExit(f"smoke: serverInfo is {info!r}, expected version {version}")
    for message in (
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ):
        daemon.stdin.write(frame(message))
    daemon.stdin.close()
    code = daemon.wait(timeout=60)
    if code != 0:
        raise SystemExit(f"smoke: `silcrow serve` exited with {code} after shutdown/exit")
    print(f"smoke: initialize -> serverInfo {info}")


def main(bin_dir: str, version: str) -> None:
    silcrow = str(Path(bin_dir) / "silcrow")
    out = subprocess.run([silcrow, "--version"], capture_output=True, text=True, check=True)
    if out.stdout.strip() != f"silcrow {version}":
        raise SystemExit(f"smoke: `silcrow --version` printed {out.stdout!r}, expected {version}")
    print(f"smoke: {out.stdout.strip()}")
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k not in KEYS and k != "PYTHONPATH"}
        env.update(HOME=home, XDG_DATA_HOME=f"{home}/data", XDG_STATE_HOME=f"{home}/state")
        check_initialize(silcrow, version, env, home)
        chat = subprocess.run(
            [silcrow, "chat", "--once", "hello", "--workspace", home],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        if chat.returncode != 0 or "OFFLINE DEMO" not in chat.stdout:
            raise SystemExit(
                f"smoke: `silcrow chat --once` gave {chat.returncode}:\n{chat.stdout}{chat.stderr}"
            )
        print("smoke: a first question answered by the offline demo")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
