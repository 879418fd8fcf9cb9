"""silcrow/prompt end to end: streaming, cancellation, permissions, busy conversations."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from lsp_harness import CLIENTS, call, eventually, plain, respond
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

from support.proc import marked

READ_THEN_ANSWER = {
    "replies": ["§think: look at it\n" + call("read", file="a.py"), respond("it prints hi")],
}


@pytest.mark.parametrize("kind", CLIENTS)
@pytest.mark.parametrize("chunks", [True, False])
async def test_prompt_streams_stored_events_in_order(make_daemon, kind: str, chunks: bool) -> None:
    d = await make_daemon(kind=kind, settings={"fakeScript": READ_THEN_ANSWER})
    result = await d.prompt("what does a.py do?", chunks=chunks)

    assert result["stopReason"] == "end"
    events = d.of(result["conversationId"])
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert events[0]["type"] == "user" and events[-1]["type"] == "end"
    assert events[-1]["payload"]["stopReason"] == "end"
    respond_events = [e for e in events if e["type"] == "respond"]
    assert "".join(e["content"] for e in respond_events).strip() == "it prints hi"
    deltas = [bool((e.get("payload") or {}).get("delta")) for e in respond_events]
    assert all(deltas) if chunks else not any(deltas)
    if chunks:
        assert len(respond_events) > 1  # the fake sends 4-character chunks
    result_event = next(e for e in events if e["type"] == "result")
    assert "print('hi')" in result_event["content"]

    history = await d.request("silcrow/history", {"conversationId": result["conversationId"]})
    assert [e["seq"] for e in history["events"]] == seqs  # what was shown was stored


async def test_streaming_setting_is_the_default_for_chunks(make_daemon) -> None:
    d = await make_daemon(
        settings={"fakeScript": [respond("one two three four")], "streaming": "semantic"}
    )
    result = await d.prompt("hello")
    texts = [e for e in d.of(result["conversationId"]) if e["type"] == "respond"]
    assert len(texts) == 1 and not (texts[0].get("payload") or {}).get("delta")


async def test_progress_begins_reports_and_ends(make_daemon) -> None:
    d = await make_daemon(kind="visual-studio-code", settings={"fakeScript": READ_THEN_ANSWER})
    await d.prompt("what does a.py do?")
    kinds = [[r.kind for r in reports] for reports in d.client.progress_reports.values()]
    assert kinds and kinds[0][0] == "begin" and kinds[0][-1] == "end" and "report" in kinds[0]


async def _wait_pid(path: Path) -> int:
    await eventually(lambda: path.exists() and bool(path.read_text().strip()))
    return int(await asyncio.to_thread(path.read_text))


@pytest.mark.parametrize("how", ["cancelRequest", "silcrow/cancel"])
async def test_cancel_mid_turn_kills_the_shell_and_resolves_cancelled(
    make_daemon, workspace: Path, how: str
) -> None:
    # A unique duration marks the command's process (in the sandbox, $$ is a namespace pid).
    naptime = f"60.{uuid.uuid4().int % 10**12:012d}"
    script = [call("shell", command=f"sleep {naptime}; echo done > finished.txt")]
    d = await make_daemon(settings={"fakeScript": script, "permissions": {"shell": "allow"}})
    msg_id = f"prompt-{how}"
    future = d.client.protocol.send_request("silcrow/prompt", {"text": "run it"}, msg_id=msg_id)
    await eventually(lambda: bool(marked(naptime)))
    cid = (await d.wait_for(lambda e: e["type"] == "user"))["conversationId"]
    if how == "cancelRequest":
        d.client.protocol.notify("$/cancelRequest", t.CancelParams(id=msg_id))
    else:
        assert (await d.request("silcrow/cancel", {"conversationId": cid}))["cancelled"] is True
    result = plain(await asyncio.wrap_future(future))

    assert result["stopReason"] == "cancelled"
    assert d.of(cid)[-1]["type"] == "cancelled"
    await eventually(lambda: not marked(naptime))  # the kill may still be landing; it must land
    assert not (workspace / "finished.txt").exists()
    again = await d.request("silcrow/cancel", {"conversationId": cid})
    assert again["cancelled"] is False


@pytest.mark.parametrize("kind", CLIENTS)
async def test_rejected_permission_is_seen_by_the_model_and_nothing_runs(
    make_daemon, workspace: Path, kind: str
) -> None:
    script = [call("shell", command="touch ran.txt"), respond("ok, I will not")]
    silcrow = {"permissions": True} if kind == "visual-studio-code" else {}
    d = await make_daemon(kind=kind, silcrow=silcrow, settings={"fakeScript": script})
    d.decision = "reject"
    result = await d.prompt("touch it")

    assert result["stopReason"] == "end"
    assert len(d.permissions) == 1
    if silcrow:
        asked = d.permissions[0]
        assert asked["tool"] == "shell" and asked["category"] == "shell"
        assert [o["optionId"] for o in asked["options"]] == ["allow_once", "allow_always", "reject"]
    else:
        assert "touch ran.txt" in d.permissions[0]["message"]
    outcome = next(e for e in d.of(result["conversationId"]) if e["type"] == "result")
    assert outcome["payload"]["error"] is True
    assert "reject" in outcome["content"].lower()
    assert not (workspace / "ran.txt").exists()


async def test_allowed_permission_runs_the_command(make_daemon, workspace: Path) -> None:
    script = [call("shell", command="touch ran.txt"), respond("done")]
    d = await make_daemon(silcrow={"permissions": True}, settings={"fakeScript": script})
    result = await d.prompt("touch it")
    assert result["stopReason"] == "end"
    assert (workspace / "ran.txt").exists()


async def test_second_turn_on_a_busy_conversation_is_refused(make_daemon, workspace: Path) -> None:
    script = [call("shell", command="echo $$ > pid.txt; sleep 60")]
    d = await make_daemon(settings={"fakeScript": script, "permissions": {"shell": "allow"}})
    first = asyncio.ensure_future(d.prompt("run it"))
    await _wait_pid(workspace / "pid.txt")
    cid = (await d.wait_for(lambda e: e["type"] == "user"))["conversationId"]
    with pytest.raises(JsonRpcException) as info:
        await d.prompt("and again", conversationId=cid)
    assert info.value.code == 1001 and "busy" in info.value.message
    await d.request("silcrow/cancel", {"conversationId": cid})
    assert (await first)["stopReason"] == "cancelled"


async def test_an_unknown_conversation_id_is_error_1002(make_daemon) -> None:
    d = await make_daemon(settings={"fakeScript": [respond("never")]})
    with pytest.raises(JsonRpcException) as info:
        await d.prompt("hello", conversationId=uuid.uuid4().hex)
    assert info.value.code == 1002 and "silcrow/conversations" in info.value.message
    assert d.events == []  # no turn ran, no conversation was made
    assert (await d.request("silcrow/conversations", {}))["conversations"] == []


async def test_bad_prompt_params_name_the_field(make_daemon) -> None:
    d = await make_daemon()
    with pytest.raises(JsonRpcException) as info:
        await d.request("silcrow/prompt", {"text": ""})
    assert info.value.code == -32602 and '"text"' in info.value.message
    with pytest.raises(JsonRpcException) as info:
        await d.request("silcrow/prompt", {"text": "hi", "context": "a.py"})
    assert '"context"' in info.value.message
    assert (await d.prompt("still alive"))["stopReason"] == "end"


async def test_typed_params_are_strict_and_errors_name_the_wire_field(make_daemon) -> None:
    d = await make_daemon()
    bad = [
        ("silcrow/prompt", {"text": "hi", "conversationId": 5}, '"conversationId"'),
        ("silcrow/prompt", {"text": "hi", "chunks": "yes"}, '"chunks"'),
        ("silcrow/prompt", {"text": "hi", "context": [{"uri": 7}]}, '"context"'),
        ("silcrow/cancel", {}, '"conversationId"'),
        ("silcrow/conversations", {"limit": "10"}, '"limit"'),
        ("silcrow/history", {"conversationId": None}, '"conversationId"'),
    ]
    for method, params, named in bad:
        with pytest.raises(JsonRpcException) as info:
            await d.request(method, params)
        assert info.value.code == -32602 and named in info.value.message, (method, params)
    assert (await d.request("silcrow/cancel", {"conversationId": "none-running"})) == {
        "cancelled": False
    }
    listed = await d.request("silcrow/conversations", None)
    assert listed == {"conversations": []}
