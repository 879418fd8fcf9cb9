"""Clients without Silcrow's UI (eglot, Helix, a bare lspconfig): what they are shown of a turn.

They ignore ``silcrow/event``; the daemon writes the turn to
``window/logMessage`` and ends it with one ``window/showMessage``. Clients
that declare ``experimental.silcrow`` render the events and get neither.
"""

from __future__ import annotations

import pytest
from lsp_harness import call, eventually, plain, respond
from lsprotocol import types as t

READ_THEN_ANSWER = [call("read", file="a.py"), respond("It prints hi.")]


def shown(d) -> list[t.ShowMessageParams]:
    return [m for m in d.client.messages if m.message.startswith("Silcrow")]


def logged(d) -> str:
    return "\n".join(m.message for m in d.client.log_messages)


async def test_a_plain_client_gets_the_turn_in_its_log_and_one_summary(make_daemon) -> None:
    d = await make_daemon(settings={"fakeScript": READ_THEN_ANSWER})
    result = await d.prompt("what does a.py do?")
    assert result["stopReason"] == "end"
    await eventually(lambda: bool(shown(d)))
    log = logged(d)
    assert "[you] what does a.py do?" in log and "→ read" in log and "✓ Read a.py" in log
    assert "[answer] It prints hi." in log
    [summary] = shown(d)
    assert summary.type == t.MessageType.Info and summary.message == "Silcrow: It prints hi."


async def test_a_plain_client_sees_a_failed_turn_once(make_daemon) -> None:
    d = await make_daemon(settings={"provider": "openai"}, env={"OPENAI_API_KEY": ""})
    result = await d.prompt("hello")
    assert result["stopReason"] == "error"
    # sent before the prompt's answer, in order: all there is has arrived
    [summary] = shown(d)
    assert summary.type == t.MessageType.Error and "OPENAI_API_KEY" in summary.message


async def test_a_client_with_silcrow_ui_gets_events_only(make_daemon) -> None:
    d = await make_daemon(
        silcrow={"permissions": True},
        settings={"provider": "openai"},
        env={"OPENAI_API_KEY": ""},
    )
    result = await d.prompt("hello")
    assert result["stopReason"] == "error"
    assert len([e for e in d.of(result["conversationId"]) if e["type"] == "error"]) == 1
    assert shown(d) == [] and "[you]" not in logged(d)


@pytest.mark.parametrize("silcrow", [{}, {"permissions": True}])
async def test_execute_command_answers_while_the_turn_runs(make_daemon, silcrow: dict) -> None:
    script = [call("shell", command="sleep 60"), respond("never")]
    d = await make_daemon(
        silcrow=silcrow, settings={"fakeScript": script, "permissions": {"shell": "allow"}}
    )
    uri = d.open("a.py", "print('hi')\n")
    argument = {"uri": uri, "text": "print('hi')"}
    result = plain(
        await d.client.workspace_execute_command_async(
            t.ExecuteCommandParams(command="silcrow.explain", arguments=[argument])
        )
    )
    cid = result["conversationId"]
    await d.wait_for(lambda e: e["conversationId"] == cid and e["type"] == "call")
    assert not [e for e in d.of(cid) if "stopReason" in (e.get("payload") or {})]  # still running
    assert (await d.request("silcrow/cancel", {"conversationId": cid}))["cancelled"] is True
    final = await d.wait_for(lambda e: e["conversationId"] == cid and e["type"] == "cancelled")
    assert final["payload"] == {"stopReason": "cancelled"}
