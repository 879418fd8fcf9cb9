"""``silcrow acp`` driven by the ACP SDK's client side over stdio (scripted provider)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from acp import RequestError, image_block, resource_link_block, text_block
from acp.schema import McpServerStdio
from acp_client import RecordingClient, agent_env, call, start_agent

MCP_SERVER = Path(__file__).resolve().parents[1] / "mcptools" / "sdk_server.py"  # a real MCP server
pytestmark = pytest.mark.slow  # each test starts a ``silcrow acp`` process


async def test_initialize_advertises_what_the_agent_does(workspace: Path, db: Path) -> None:
    async with start_agent(RecordingClient(), workspace, agent_env(db, [])) as (_, init):
        assert init.protocol_version == 1
        caps = init.agent_capabilities
        assert caps is not None and caps.load_session is True
        assert caps.prompt_capabilities is not None
        assert caps.prompt_capabilities.embedded_context is True
        assert caps.prompt_capabilities.image is False
        assert init.auth_methods == []


async def test_a_streamed_answer_ends_the_turn(workspace: Path, db: Path) -> None:
    client = RecordingClient()
    replies = ["§think: let me think about it\n§respond: Hello from the agent.\n§end\n"]
    env = agent_env(db, replies, delay=0.01)
    async with start_agent(client, workspace, env) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        result = await conn.prompt(session_id=session.session_id, prompt=[text_block("hi")])
        client.log.append("response:prompt")
        await conn.list_sessions(cwd=str(workspace))  # one more round trip
        assert result.stop_reason == "end_turn"
        assert client.text("agent_thought_chunk").strip() == "let me think about it"
        assert client.text("agent_message_chunk").strip() == "Hello from the agent."
        assert len(client.of_kind("agent_message_chunk")) > 1  # streamed in pieces
        assert client.log[-1] == "response:prompt"  # nothing after the response


async def test_reads_and_writes_go_through_the_client(workspace: Path, db: Path) -> None:
    client = RecordingClient(fs=True)
    target = str(workspace / "a.py")
    client.buffers[target] = "print('unsaved buffer')\n"
    replies = [
        call("read", file="a.py"),
        call("write", file="new.txt", content="fresh\n"),
        call("edit", file="a.py", old="unsaved buffer", new="edited"),
        "§respond: done\n§end\n",
    ]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        result = await conn.prompt(session_id=session.session_id, prompt=[text_block("go")])
    assert result.stop_reason == "end_turn"
    assert target in client.reads  # absolute path, through fs/read_text_file
    starts = client.of_kind("tool_call")
    assert [s.kind for s in starts] == ["read", "edit", "edit"]
    assert starts[0].locations[0].path == target
    finals = [u for u in client.of_kind("tool_call_update") if u.status == "completed"]
    assert [f.tool_call_id for f in finals] == [s.tool_call_id for s in starts]
    assert "unsaved buffer" in finals[0].content[0].content.text  # the buffer, not the disk
    new_diff = finals[1].content[0]
    assert (new_diff.type, new_diff.path, new_diff.old_text, new_diff.new_text) == (
        "diff", str(workspace / "new.txt"), None, "fresh\n",
    )  # fmt: skip
    edit_diff = finals[2].content[0]
    assert edit_diff.old_text == "print('unsaved buffer')\n"
    assert edit_diff.new_text == "print('edited')\n"
    assert client.writes == [
        (str(workspace / "new.txt"), "fresh\n"),
        (target, "print('edited')\n"),
    ]
    assert not (workspace / "new.txt").exists()  # it landed in the editor, not on disk
    assert (workspace / "a.py").read_text() == "print('on disk')\n"


async def test_a_rejected_permission_does_not_run_the_command(workspace: Path, db: Path) -> None:
    client = RecordingClient(answer="reject_once")
    replies = [call("shell", command="touch ran.txt"), "§respond: ok\n§end\n"]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        result = await conn.prompt(session_id=session.session_id, prompt=[text_block("go")])
    assert result.stop_reason == "end_turn"
    (tool_call, options), = client.permissions  # fmt: skip
    assert {o.kind for o in options} == {
        "allow_once", "allow_always", "reject_once", "reject_always",
    }  # fmt: skip
    start = client.of_kind("tool_call")[0]
    assert tool_call.tool_call_id == start.tool_call_id
    assert start.kind == "execute"
    final = client.of_kind("tool_call_update")[-1]
    assert final.status == "failed" and "rejected" in final.content[0].content.text
    assert not (workspace / "ran.txt").exists()


async def test_reject_always_is_remembered_for_the_session(workspace: Path, db: Path) -> None:
    client = RecordingClient(answer="reject_always")
    replies = [call("shell", command="touch x"), call("shell", command="touch x"), "§end\n"]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("go")])
    assert len(client.permissions) == 1
    failed = [u for u in client.of_kind("tool_call_update") if u.status == "failed"]
    assert len(failed) == 2


async def test_cancel_stops_the_command_and_answers_cancelled(workspace: Path, db: Path) -> None:
    client = RecordingClient(answer="allow_once")
    replies = [call("shell", command="echo started; exec sleep 60"), "§respond: late\n§end\n"]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        sid = session.session_id
        prompt = asyncio.ensure_future(conn.prompt(session_id=sid, prompt=[text_block("go")]))
        await client.wait_for("tool_call_update", lambda u: u.status == "in_progress")
        await client.wait_until(lambda: bool(client.permissions))  # then the command runs
        await conn.cancel(session_id=sid)
        result = await prompt
        client.log.append("response:prompt")
        await conn.list_sessions(cwd=str(workspace))
    assert result.stop_reason == "cancelled"
    assert client.log[-1] == "response:prompt"
    assert "late" not in client.text("agent_message_chunk")


async def test_load_after_a_restart_replays_the_conversation(workspace: Path, db: Path) -> None:
    replies = ["§respond: The answer is 42.\n§end\n"]
    first = RecordingClient()
    async with start_agent(first, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("what is it?")])
    again = RecordingClient()
    async with start_agent(again, workspace, agent_env(db, [])) as (conn, _):
        await conn.load_session(cwd=str(workspace), session_id=session.session_id, mcp_servers=[])
        replayed = list(again.log)  # everything that came before the response
        listed = await conn.list_sessions(cwd=str(workspace))
    assert again.text("user_message_chunk") == "what is it?"
    assert again.text("agent_message_chunk").strip() == "The answer is 42."
    assert len(replayed) == len(again.log)
    assert [s.session_id for s in listed.sessions] == [session.session_id]
    assert listed.sessions[0].title == "what is it?"


async def test_bad_requests_get_errors_that_say_what_to_fix(workspace: Path, db: Path) -> None:
    async with start_agent(RecordingClient(), workspace, agent_env(db, [])) as (conn, _):
        with pytest.raises(RequestError, match="unknown session nope"):
            await conn.prompt(session_id="nope", prompt=[text_block("hi")])
        with pytest.raises(RequestError, match="absolute path"):
            await conn.new_session(cwd="relative/dir", mcp_servers=[])
        with pytest.raises(RequestError, match="no stored session"):
            await conn.load_session(cwd=str(workspace), session_id="missing", mcp_servers=[])
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        with pytest.raises(RequestError, match="does not take image"):
            await conn.prompt(
                session_id=session.session_id, prompt=[image_block("AAAA", "image/png")]
            )


async def test_resource_links_become_context(workspace: Path, db: Path) -> None:
    client = RecordingClient()
    replies = ["§respond: seen\n§end\n"]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        uri = (workspace / "a.py").as_uri()
        await conn.prompt(
            session_id=session.session_id,
            prompt=[text_block("look"), resource_link_block("a.py", uri)],
        )
    from silcrow.store import EventStore

    async with await EventStore.open(db) as store:
        user = next(e for e in await store.events(session.session_id) if e.type == "user")
    assert user.content == "look"
    # the link is read like a file item, and stored with the text the model was given
    assert user.payload == {"context": [{"uri": uri, "text": (workspace / "a.py").read_text()}]}


async def test_commands_run_in_the_client_terminal(workspace: Path, db: Path) -> None:
    client = RecordingClient(terminal=True, answer="allow_once")
    replies = [call("shell", command="echo from-terminal"), "§respond: ok\n§end\n"]
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        await conn.prompt(session_id=session.session_id, prompt=[text_block("go")])
    assert client.commands == [["/bin/sh", "-c", "echo from-terminal"]]
    start = client.of_kind("tool_call")[0]
    shown = [
        c for u in client.of_kind("tool_call_update") if u.content for c in u.content
        if c.type == "terminal"
    ]  # fmt: skip
    assert shown and shown[0].terminal_id == "term-1"
    final = client.of_kind("tool_call_update")[-1]
    assert final.tool_call_id == start.tool_call_id and final.status == "completed"
    assert "from-terminal" in final.content[-1].content.text


async def test_without_a_provider_it_is_the_labelled_offline_demo(
    workspace: Path, db: Path
) -> None:
    client = RecordingClient(fs=False)
    async with start_agent(client, workspace, agent_env(db, None)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[])
        result = await conn.prompt(session_id=session.session_id, prompt=[text_block("hi")])
    assert result.stop_reason == "end_turn"
    (read,) = client.of_kind("tool_call")  # a real tool call on the workspace
    assert read.kind == "read" and read.locations[0].path == str(workspace / "a.py")
    final = client.of_kind("tool_call_update")[-1]
    assert final.status == "completed" and "on disk" in final.content[0].content.text
    answer = client.text("agent_message_chunk")
    assert "OFFLINE DEMO" in answer and "SILCROW_PROVIDER" in answer


async def test_stdout_carries_only_json_rpc_lines(workspace: Path, db: Path) -> None:
    env = agent_env(
        db, ["§respond: hi\n§end\n", "§respond: never sent\n§end\n"], SILCROW_LOG="debug"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "silcrow.cli", "acp", cwd=workspace, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[dict] = []

    async def ask(n: int, method: str, params: dict) -> dict:
        line = {"jsonrpc": "2.0", "id": n, "method": method, "params": params}
        proc.stdin.write((json.dumps(line) + "\n").encode())
        await proc.stdin.drain()
        while True:
            message = json.loads(await proc.stdout.readline())  # every line is one JSON message
            seen.append(message)
            if message.get("id") == n:
                return message

    await ask(0, "initialize", {"protocolVersion": 1})
    new = await ask(1, "session/new", {"cwd": str(workspace), "mcpServers": []})
    prompt = {"sessionId": new["result"]["sessionId"], "prompt": [{"type": "text", "text": "hi"}]}
    answer = await ask(2, "session/prompt", prompt)
    assert answer["result"] == {"stopReason": "end_turn"}
    assert all(m["jsonrpc"] == "2.0" for m in seen)
    line = {"jsonrpc": "2.0", "id": 3, "method": "session/prompt", "params": prompt}
    proc.stdin.write((json.dumps(line) + "\n").encode())
    proc.stdin.close()  # the editor went away in the middle of a turn: the agent exits
    out, err = await proc.communicate()
    assert all(json.loads(raw)["jsonrpc"] == "2.0" for raw in out.decode().splitlines())
    assert b"silcrow-acp DEBUG" in err  # the logs went to stderr
    assert proc.returncode == 0


async def test_mcp_servers_from_session_new_give_the_agent_tools(workspace: Path, db: Path) -> None:
    server = MCP_SERVER
    client = RecordingClient(answer="allow_once")
    echo = json.dumps({"name": "mcp__demo__echo", "args": {"text": "hello"}})
    replies = [f"§call: {echo}\n§execute\n", "§respond: done\n§end\n"]
    stdio = McpServerStdio(name="demo", command=sys.executable, args=[str(server)], env=[])
    async with start_agent(client, workspace, agent_env(db, replies)) as (conn, _):
        session = await conn.new_session(cwd=str(workspace), mcp_servers=[stdio])
        result = await conn.prompt(session_id=session.session_id, prompt=[text_block("go")])
    assert result.stop_reason == "end_turn"
    (start,) = client.of_kind("tool_call")
    assert start.kind == "other" and start.raw_input == {"text": "hello"}
    assert len(client.permissions) == 1  # MCP tools are asked, like shell commands
    final = client.of_kind("tool_call_update")[-1]
    assert final.status == "completed" and "echo: hello" in final.content[0].content.text
