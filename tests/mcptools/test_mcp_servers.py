"""MCP tools through the library ``Agent`` against real servers (scripted model, no network).

The SDK-written server (``sdk_server.py``) and the published ``mcp-server-time``
run as stdio subprocesses; the model is the scripted provider.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from mcptools.conftest import SDK_SERVER, sdk_server, time_server
from silcrow.agent import Agent
from silcrow.mcp import McpManager, parse_servers
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script
from silcrow.tools.base import Decision, PermissionRequest, ToolError
from silcrow.tools.policy import PermissionPolicy

pytestmark = pytest.mark.slow


def call(name: str, args: dict[str, Any]) -> str:
    return "§call: " + json.dumps({"name": name, "args": args}) + "\n§execute\n"


class Asker:
    def __init__(self, answer: Decision) -> None:
        self.answer = answer
        self.asked: list[PermissionRequest] = []

    async def __call__(self, request: PermissionRequest) -> Decision:
        self.asked.append(request)
        return self.answer


async def run_turn(
    tmp_path: Path, servers: dict[str, Any], replies: list[str], answer: Decision = "allow_once"
) -> tuple[list[Any], Asker, FakeProvider]:
    provider = FakeProvider(Script.of(replies, chunk=8))
    asker = Asker(answer)
    store = await EventStore.open(tmp_path / "events.db")
    agent = Agent(
        provider, mode="replay", storage=store, tools=[], profile=False, mcp_servers=servers,
        permissions=PermissionPolicy.from_settings({}), ask=asker,
    )  # fmt: skip
    try:
        events = [e async for e in agent("go")]
    finally:
        await agent.aclose()
        await store.close()
    return events, asker, provider


async def test_an_sdk_server_tool_is_offered_asked_called_and_stored(tmp_path: Path) -> None:
    events, asker, provider = await run_turn(
        tmp_path,
        {"t": sdk_server()},
        [call("mcp__t__echo", {"text": "hi"}), "§respond: ok\n§end\n"],
    )
    system = provider.requests[0][0].content
    assert "mcp__t__echo [mcp]: [MCP server t] Echo the text back" in system
    assert "  - text (string)" in system
    assert [(r.tool, r.category) for r in asker.asked] == [("mcp__t__echo", "mcp")]
    result = next(e for e in events if e.type == "result")
    assert result.content == "echo: hi"
    assert "echo: hi" in provider.requests[1][-1].content  # the model got it back


async def test_a_published_server_from_pypi_answers(tmp_path: Path) -> None:
    events, _, _ = await run_turn(
        tmp_path,
        {"time": time_server()},
        [call("mcp__time__get_current_time", {"timezone": "UTC"}), "§respond: ok\n§end\n"],
    )
    result = next(e for e in events if e.type == "result")
    assert '"timezone": "UTC"' in result.content and "datetime" in result.content


async def test_a_rejected_call_does_not_reach_the_server(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    events, asker, _ = await run_turn(
        tmp_path,
        {"t": sdk_server("--marker", str(marker))},
        [call("mcp__t__slow", {"seconds": 0}), "§respond: ok\n§end\n"],
        answer="reject",
    )
    result = next(e for e in events if e.type == "result")
    assert len(asker.asked) == 1
    assert "rejected" in result.content and "done" not in result.content
    assert marker.read_text().startswith("started")  # it ran, yet was never called


async def test_a_server_that_exits_at_once_gives_a_notice_and_the_turn_goes_on(
    tmp_path: Path,
) -> None:
    events, _, provider = await run_turn(
        tmp_path,
        {"gone": sdk_server("--exit-at-once"), "t": sdk_server()},
        ["§respond: fine\n§end\n"],
    )
    notices = [e.content for e in events if e.type == "user" and (e.payload or {}).get("notice")]
    assert any("'gone' could not start" in n for n in notices)
    assert events[-1].type == "end"
    system = provider.requests[0][0].content
    assert "mcp__t__echo" in system and "mcp__gone" not in system


async def test_a_slow_starter_is_left_behind_after_the_wait() -> None:
    slow = {"command": "sh", "args": ["-c", f"sleep 30; exec {sys.executable} -c pass"]}
    servers, _ = parse_servers({"slow": slow})
    manager = McpManager(servers, ready_wait=0.3)
    try:
        await manager.wait_ready()
        assert manager.tools() == []
        assert any("'slow' has not listed its tools" in n for n in manager.notices())
        assert manager.status()[0].state == "starting"
        await manager.wait_ready()  # a later turn does not wait again
    finally:
        await manager.aclose()
    assert manager.status()[0].state == "stopped"


async def test_cancelling_a_slow_call_cancels_the_turn_and_the_server_lives_on(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    servers, _ = parse_servers({"t": sdk_server("--marker", str(marker))})
    manager = McpManager(servers)
    provider = FakeProvider(
        Script.of([call("mcp__t__slow", {"seconds": 60}), "§respond: x\n§end\n"], chunk=8)
    )
    store = await EventStore.open(tmp_path / "events.db")
    agent = Agent(provider, storage=store, tools=[], profile=False, mcp_servers=manager)
    try:
        handle = agent.start("go")
        async for event in handle.events():
            if event.type == "call":
                await asyncio.sleep(0.5)  # the call is in flight on the server
                handle.cancel()
        outcome = await handle.wait()
        assert outcome.stop_reason == "cancelled"
        echo = next(t for t in manager.tools() if t.name == "mcp__t__echo")
        assert (await echo.execute(text="still here")).content == "echo: still here"
        for _ in range(100):
            if "cancelled" in marker.read_text():
                break
            await asyncio.sleep(0.05)
        assert "cancelled" in marker.read_text()  # the server saw the cancellation
    finally:
        await agent.aclose()
        await manager.aclose()
        await store.close()


async def test_list_changed_refreshes_the_tools() -> None:
    servers, _ = parse_servers({"t": sdk_server()})
    manager = McpManager(servers)
    try:
        await manager.wait_ready()
        names = [t.name for t in manager.tools()]
        assert "mcp__t__extra" not in names
        grow = next(t for t in manager.tools() if t.name == "mcp__t__grow")
        assert (await grow.execute()).content == "grown"
        for _ in range(200):
            if "mcp__t__extra" in [t.name for t in manager.tools()]:
                break
            await asyncio.sleep(0.05)
        extra = next(t for t in manager.tools() if t.name == "mcp__t__extra")
        assert (await extra.execute()).content == "extra says hi"
        assert manager.status()[0].tools[-1] == "extra"
    finally:
        await manager.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_streamable_http_server_with_headers() -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, str(SDK_SERVER), "--http", str(port), "--token", "s3cret"
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        good, _ = parse_servers({"h": {"url": url, "headers": {"Authorization": "Bearer s3cret"}}})
        bad, _ = parse_servers({"nokey": {"url": url}})
        manager = McpManager({**good, **bad}, ready_wait=120)
        try:
            for _ in range(600):  # the server process may still be starting
                await manager.wait_ready()
                if manager.status()[0].state == "running":
                    break
                await asyncio.sleep(0.1)
            status = {s.name: s for s in manager.status()}
            assert status["h"].state == "running"
            assert status["nokey"].state != "running" and status["nokey"].detail  # refused: 401
            echo = next(t for t in manager.tools() if t.name == "mcp__h__echo")
            assert (await echo.execute(text="over http")).content == "echo: over http"
        finally:
            await manager.aclose()
    finally:
        server.terminate()
        await server.wait()


async def test_the_doctor_report_runs_each_server_once_and_says_how_it_went(
    tmp_path: Path,
) -> None:
    from silcrow.mcp.report import server_report

    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"repo": sdk_server()}}))
    raw = {"t": sdk_server(), "gone": sdk_server("--exit-at-once"), "bad": {"args": []}}
    statuses, problems = await server_report(raw, root=tmp_path)
    by_name = {s.name: s for s in statuses}
    assert by_name["t"].state == "running" and "echo" in by_name["t"].tools
    assert by_name["gone"].state in ("restarting", "failed") and by_name["gone"].detail
    assert by_name["repo"].state == "needs_approval"
    assert any("mcpServers.bad" in p for p in problems)


async def test_a_settings_change_restarts_only_the_changed_server() -> None:
    servers, _ = parse_servers({"a": sdk_server(), "b": sdk_server()})
    manager = McpManager(servers)
    try:
        await manager.wait_ready()
        before = {t.name: t for t in manager.tools()}
        changed, _ = parse_servers({"a": sdk_server(), "b": sdk_server("--marker", "/dev/null")})
        await manager.update(changed)
        await manager.wait_ready()
        after = {t.name: t for t in manager.tools()}
        assert after["mcp__a__echo"] is before["mcp__a__echo"]  # same connection, same tool
        assert after["mcp__b__echo"] is not before["mcp__b__echo"]  # restarted
        assert (await after["mcp__b__echo"].execute(text="x")).content == "echo: x"
        await manager.update({})
        assert manager.tools() == [] and manager.status() == []
    finally:
        await manager.aclose()


async def test_a_server_that_crashes_mid_call_is_restarted() -> None:
    servers, _ = parse_servers({"t": sdk_server()})
    notices: list[str] = []
    manager = McpManager(servers, on_notice=notices.append)
    try:
        await manager.wait_ready()
        die = next(t for t in manager.tools() if t.name == "mcp__t__die")
        with pytest.raises(ToolError, match="'t' stopped during the call"):
            await die.execute()
        for _ in range(600):  # the supervisor notices, backs off, starts a new process
            if notices and manager.status()[0].state == "running":
                break
            await asyncio.sleep(0.1)
        assert any("MCP server 't' stopped (the connection closed)" in n for n in notices)
        echo = next(t for t in manager.tools() if t.name == "mcp__t__echo")
        assert (await echo.execute(text="again")).content == "echo: again"
    finally:
        await manager.aclose()
