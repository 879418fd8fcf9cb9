"""MCP through the daemon (stdio JSON-RPC, scripted provider, real MCP servers).

1. A user-defined server's tool is called end to end: the permission request
   names ``mcp__t__echo`` with category ``mcp`` and offers "allow every t
   tool"; allowed, the stored ``result`` event is the tool's text; rejected,
   it is a rejection and the tool does not run.
2. A workspace ``.mcp.json`` server is not started (its marker file never
   appears) until ``silcrow/mcpApprove``; then it runs and lists its tools,
   and ``silcrow/mcpServers`` reports both states; it stops with the daemon.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from mcptools.conftest import sdk_server
from reliability.procs import RawDaemon
from silcrow.lsp.daemon import process_alive

pytestmark = pytest.mark.slow
CAPS = {"experimental": {"silcrow": {"permissions": True}}}


def call(name: str, args: dict[str, Any]) -> str:
    return "§call: " + json.dumps({"name": name, "args": args}) + "\n§execute\n"


async def start(tmp_path: Path, settings: dict[str, Any], answer: str) -> tuple[RawDaemon, Path]:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    env = {"SILCROW_MCP_APPROVALS": str(tmp_path / "user" / "approvals.json")}
    daemon = await RawDaemon.spawn(tmp_path / "events.db", env=env)
    daemon.answer_server_request = lambda method, _p: (
        {"optionId": answer} if method == "silcrow/requestPermission" else None
    )
    await daemon.initialize([root], {"mode": "replay", **settings}, CAPS)
    return daemon, root


async def servers_when(daemon: RawDaemon, state: str) -> list[dict[str, Any]]:
    """``silcrow/mcpServers`` once every server is in ``state`` (servers start with the
    folder; on a loaded machine a Python server can need more than a turn's 10 s wait)."""
    for _ in range(600):
        servers = (await daemon.request("silcrow/mcpServers", {}))["servers"]
        if servers and all(s["state"] == state for s in servers):
            return list(servers)
        await asyncio.sleep(0.1)
    raise AssertionError(f"MCP servers never became {state}: {servers}")


@pytest.mark.parametrize("answer", ["allow_once", "reject"])
async def test_a_tool_call_end_to_end_asked_by_its_full_name(tmp_path: Path, answer: str) -> None:
    script = {"replies": [call("mcp__t__echo", {"text": "hi"}), "§respond: ok\n§end\n"]}
    daemon, _ = await start(
        tmp_path, {"mcpServers": {"t": sdk_server()}, "fakeScript": script}, answer
    )
    try:
        listed = await servers_when(daemon, "running")
        assert [(s["name"], s["toolCount"]) for s in listed] == [("t", 7)]
        result = await daemon.request("silcrow/prompt", {"text": "echo hi"})
        assert result["stopReason"] == "end"
        asked = [r["params"] for r in daemon.requests if r["method"] == "silcrow/requestPermission"]
        assert [(a["tool"], a["category"]) for a in asked] == [("mcp__t__echo", "mcp")]
        assert "allow_server" in [o["optionId"] for o in asked[0]["options"]]
        results = [e["content"] for e in daemon.events if e["type"] == "result"]
        if answer == "allow_once":
            assert results == ["echo: hi"]
        else:  # the model is told; the server is never called
            assert len(results) == 1 and "rejected" in results[0] and "echo: hi" not in results[0]
    finally:
        await daemon.close()


async def test_a_workspace_server_waits_for_the_users_approval(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = tmp_path / "ws"
    root.mkdir()
    planted = {"mcpServers": {"repo": sdk_server("--marker", str(marker))}}
    (root / ".mcp.json").write_text(json.dumps(planted))
    script = {"replies": ["§respond: ok\n§end\n"]}
    daemon, _ = await start(tmp_path, {"fakeScript": script}, "allow_once")
    try:
        await daemon.request("silcrow/prompt", {"text": "hello"})
        listed = await daemon.request("silcrow/mcpServers", {})
        assert [(s["name"], s["state"], s["origin"]) for s in listed["servers"]] == [
            ("repo", "needs_approval", "workspace")
        ]
        assert not marker.exists()  # never started
        assert any(
            "not started until you approve it" in m for m in daemon.texts("window/showMessage")
        )
        approved = await daemon.request("silcrow/mcpApprove", {"name": "repo"})
        assert approved["servers"][0]["name"] == "repo"
        listed = await servers_when(daemon, "running")
        assert listed[0]["toolCount"] == 7
        assert marker.read_text().startswith("started")
        approvals = json.loads((tmp_path / "user" / "approvals.json").read_text())
        assert [a["server"] for a in approvals["approved"]] == ["repo"]
        pid = int(marker.read_text().split()[1])
        assert await daemon.close() == 0
        for _ in range(100):
            if not process_alive(pid):
                break
            await asyncio.sleep(0.1)
        assert not process_alive(pid)  # the server stopped with the daemon
    finally:
        await daemon.close()
