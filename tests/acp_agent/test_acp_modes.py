"""Session modes over ACP (agent, ask, plan), driven by the SDK's client side (scripted provider)."""

from __future__ import annotations

from pathlib import Path

import pytest
from acp import RequestError, text_block
from acp_client import RecordingClient, agent_env, call, start_agent

pytestmark = pytest.mark.slow  # each test starts a ``silcrow acp`` process


async def test_new_sessions_advertise_the_modes(workspace: Path, db: Path) -> None:
    async with start_agent(RecordingClient(), workspace, agent_env(db, [])) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        await conn.set_session_mode(session_id=session.session_id, mode_id="ask")
        loaded = await conn.load_session(
            cwd=str(workspace), session_id=session.session_id, mcp_servers=[]
        )
    assert loaded.modes is not None and loaded.modes.current_mode_id == "ask"  # no prompt yet
    modes = session.modes
    assert modes is not None and modes.current_mode_id == "agent"
    assert [(m.id, m.name) for m in modes.available_modes] == [
        ("agent", "Agent"), ("ask", "Ask"), ("plan", "Plan"),
    ]  # fmt: skip
    assert all(m.description for m in modes.available_modes)


async def test_ask_mode_refuses_changes_without_asking(workspace: Path, db: Path) -> None:
    client = RecordingClient(fs=True, answer="allow_once")
    replies = [
        call("write", file="new.txt", content="fresh\n"),
        call("shell", command="touch ran.txt"),
        call("read", file="a.py"),
        "§respond: I would write new.txt.\n§end\n",
    ]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        await conn.set_session_mode(session_id=session.session_id, mode_id="ask")
        result = await conn.prompt(session_id=session.session_id, prompt=[text_block("go")])
    assert result.stop_reason == "end_turn"
    assert client.permissions == []  # refused outright, nobody asked
    assert client.writes == [] and not (workspace / "ran.txt").exists()
    finals = [u for u in client.of_kind("tool_call_update") if u.status in ("completed", "failed")]
    assert [f.status for f in finals] == ["failed", "failed", "completed"]
    assert "not available in ask mode" in finals[0].content[0].content.text
    assert "not available in ask mode" in finals[1].content[0].content.text


async def test_the_mode_is_kept_across_a_load(workspace: Path, db: Path) -> None:
    replies = ["§respond: planned\n§end\n"]
    async with start_agent(RecordingClient(), workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        await conn.set_session_mode(session_id=session.session_id, mode_id="plan")
        await conn.prompt(session_id=session.session_id, prompt=[text_block("plan it")])
    replies = [call("shell", command="touch ran.txt"), "§end\n"]
    again = RecordingClient(answer="allow_once")
    async with start_agent(again, workspace, agent_env(db, replies)) as (conn, _):
        loaded = await conn.load_session(
            cwd=str(workspace), session_id=session.session_id, mcp_servers=[]
        )
        await conn.prompt(session_id=session.session_id, prompt=[text_block("and now?")])
    assert loaded.modes is not None and loaded.modes.current_mode_id == "plan"
    assert again.permissions == [] and not (workspace / "ran.txt").exists()


async def test_an_unknown_mode_is_an_error_naming_the_modes(workspace: Path, db: Path) -> None:
    async with start_agent(RecordingClient(), workspace, agent_env(db, [])) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        with pytest.raises(RequestError, match=r"unknown mode 'code'.*agent, ask, plan") as err:
            await conn.set_session_mode(session_id=session.session_id, mode_id="code")
        assert err.value.code == -32602
        with pytest.raises(RequestError, match="unknown session nope"):
            await conn.set_session_mode(session_id="nope", mode_id="ask")
