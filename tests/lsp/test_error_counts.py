"""One failure, one message, counted at the wire: ``silcrow serve`` over stdio JSON-RPC.

Each scenario runs a real daemon (``reliability.procs.RawDaemon``) against the
loopback vendor fakes (``tests/fakes``) with provider ``openai`` in ``auto``
mode, as a user with ``OPENAI_BASE_URL`` would, and counts what a client is
shown: ``error`` events, and ``window/showMessage`` messages.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from fakes.http_server import FakeHTTPServer
from reliability.procs import RawDaemon
from silcrow.testing import Script

pytestmark = pytest.mark.slow  # each test starts a daemon

ANSWER = "§respond: the answer\n§end\n"
UI = {"experimental": {"silcrow": {"permissions": True}}}  # a client that renders events
KEYS = {"ANTHROPIC_API_KEY": "", "GEMINI_API_KEY": "", "GOOGLE_API_KEY": ""}


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeHTTPServer]:
    async with FakeHTTPServer(Script.of([ANSWER] * 4), api_key="test-key") as fake:
        yield fake


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_turns(
    tmp_path: Path, base_url: str, key: str, *texts: str, client: str = "Visual Studio Code"
) -> tuple[RawDaemon, list[dict[str, Any]]]:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    env = {**KEYS, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": key}
    daemon = await RawDaemon.spawn(tmp_path / "db.sqlite", env=env)
    results = []
    try:
        await daemon.request(
            "initialize",
            {
                "processId": None,
                "clientInfo": {"name": client},
                "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
                "initializationOptions": {"provider": "openai", "mode": "auto"},
                "capabilities": UI,
            },
        )
        daemon.notify("initialized", {})
        for text in texts:
            results.append(await daemon.request("silcrow/prompt", {"text": text}))
        await daemon.close()
    finally:
        daemon.kill()
    return daemon, results


def errors(daemon: RawDaemon) -> list[dict[str, Any]]:
    return [e for e in daemon.events if e["type"] == "error"]


async def test_a_closed_port_is_one_error(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    daemon, [result] = await run_turns(tmp_path, base, "sk-test", "hello")
    assert result["stopReason"] == "error"
    [error] = errors(daemon)
    assert "127.0.0.1" in error["content"]
    assert daemon.texts("window/showMessage") == []  # the chat shows the error event; no toast


async def test_a_rejected_key_is_one_error_naming_the_variable(
    tmp_path: Path, server: FakeHTTPServer
) -> None:
    daemon, [result] = await run_turns(tmp_path, server.base_url("openai"), "sk-wrong", "hello")
    assert result["stopReason"] == "error"
    [error] = errors(daemon)
    assert "OPENAI_API_KEY" in error["content"] and "api_key_env" not in error["content"]
    assert not [t for t in daemon.texts("window/showMessage") if "401" in t]


async def test_rate_limited_is_one_error(tmp_path: Path, server: FakeHTTPServer) -> None:
    server.fail_next(429, times=10, retry_after=0)
    daemon, [result] = await run_turns(tmp_path, server.base_url("openai"), "test-key", "hello")
    assert result["stopReason"] == "error"
    [error] = errors(daemon)
    assert "429" in error["content"] or "rate" in error["content"].lower()


@pytest.mark.parametrize(
    ("client", "words"),
    [
        ("Visual Studio Code", 'silcrow.mode to "replay"'),
        ("Neovim", 'setup({ settings = { mode = "replay" } })'),
    ],
)
async def test_a_server_without_live_sessions_is_said_once_quietly(
    tmp_path: Path, server: FakeHTTPServer, client: str, words: str
) -> None:
    base = server.base_url("openai")  # chat completions only: the Responses WebSocket 404s
    daemon, results = await run_turns(tmp_path, base, "test-key", "one", "two", client=client)
    assert [r["stopReason"] for r in results] == ["end", "end"]
    assert errors(daemon) == []
    notes = [n for n in daemon.notifications if n["method"] == "window/showMessage"]
    assert len(notes) == 1 and notes[0]["params"]["type"] == 3  # Info, not Error
    assert "live sessions are not available" in notes[0]["params"]["message"]
    assert words in notes[0]["params"]["message"]
    aborted = [e for e in daemon.events if (e.get("payload") or {}).get("aborted_cycle")]
    assert len(aborted) == 1  # the second turn went straight to replay
    assert len(server.requests) == 2
