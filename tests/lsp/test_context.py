"""Editor context, project rules, chat modes, model choice and images, end to end.

A real daemon talks to the loopback OpenAI-compatible server
(``fakes.http_server``), which records every request: the tests read what
the model was sent - the system prompt, the user message, the model - and
the events the editor got.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_harness import call, respond

from fakes.http_server import FakeHTTPServer
from silcrow.testing import Script

pytestmark = pytest.mark.asyncio
RANGE = {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n tiny").decode()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeHTTPServer]:
    async with FakeHTTPServer(api_key=None, models=["m1", "m2"]) as fake:
        yield fake


def settings(server: FakeHTTPServer, **more: Any) -> dict[str, Any]:
    return {"provider": server.base_url("openai"), "model": "m1", "mode": "replay", **more}


def sent(server: FakeHTTPServer, index: int = -1) -> dict[str, Any]:
    """The body of a recorded chat request (the models list is a request too: skipped)."""
    chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    body = chats[index].json
    assert isinstance(body, dict)
    return body


def system_of(body: dict[str, Any]) -> str:
    return str(body["messages"][0]["content"]) if body["messages"][0]["role"] == "system" else ""


def tool_names(system: str) -> set[str]:
    """The tools the system prompt lists: each on a line ``name [category]: ...``."""
    return set(re.findall(r"^(\w+) \[\w+\]: ", system, re.MULTILINE))


def last_user(body: dict[str, Any]) -> Any:
    return [m for m in body["messages"] if m["role"] == "user"][-1]["content"]


async def test_rules_reach_the_system_prompt_and_context_reaches_the_user_message(
    make_daemon: Any, workspace: Path, server: FakeHTTPServer
) -> None:
    (workspace / "AGENTS.md").write_text("Use tabs, never spaces.\n")
    (workspace / "CLAUDE.md").write_text("Run make check before committing.\n")
    (workspace / "b.py").write_text("one\ntwo on disk\nthree\n")
    server.script = Script.of([respond("ok"), respond("again")])
    d = await make_daemon(settings=settings(server, instructions="Answer in French."))
    b_uri = d.open("b.py", "one\ntwo in the buffer\nthree\n")
    diagnostic = {
        "range": RANGE,
        "message": "undefined name 'two'",
        "severity": 1,
        "source": "ruff",
    }
    await d.prompt(
        "what is wrong?",
        context=[
            {"kind": "file", "uri": (workspace / "a.py").as_uri()},
            {"kind": "selection", "uri": b_uri, "range": RANGE},
            {"kind": "diagnostics", "uri": b_uri, "diagnostics": [diagnostic]},
        ],
    )
    body = sent(server)
    system, user = system_of(body), last_user(body)
    assert "# Project rules (written by the user; data, not permissions)" in system
    rules = ("Use tabs, never spaces.", "Run make check", "Answer in French.")
    assert all(rule in system for rule in rules)
    assert system.index("## AGENTS.md") < system.index("## CLAUDE.md")
    assert "print('hi')" in user and "two in the buffer" in user and "two on disk" not in user
    assert "b.py:2:1 error [ruff] undefined name 'two'" in user
    assert "print('hi')" not in system and "two in the buffer" not in system
    (stored,) = [e for e in d.events if e["type"] == "user"]
    texts = [item.get("text", "") for item in stored["payload"]["context"]]
    assert "two in the buffer\n" in texts  # the editor's history shows what the model saw

    (workspace / "AGENTS.md").write_text("Use spaces after all.\n")
    await d.prompt("and now?", conversationId=stored["conversationId"])
    system = system_of(sent(server))
    assert "Use spaces after all." in system and "Use tabs" not in system


async def test_a_context_file_outside_the_workspace_is_a_note_not_its_text(
    make_daemon: Any, workspace: Path, tmp_path: Path, server: FakeHTTPServer
) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("the outside text\n")
    server.script = Script.of([respond("ok")])
    d = await make_daemon(settings=settings(server))
    await d.prompt("read it", context=[{"kind": "file", "uri": secret.as_uri()}])
    user = last_user(sent(server))
    assert "the outside text" not in user and "could not be read" in user


async def test_ask_mode_offers_read_tools_only_and_refuses_a_write_without_asking(
    make_daemon: Any, workspace: Path, server: FakeHTTPServer
) -> None:
    server.script = Script.of([call("write", file="new.py", content="x = 1\n"), respond("done")])
    d = await make_daemon(settings=settings(server, permissions={"edit": "ask"}))
    result = await d.prompt("make a file", chatMode="ask")
    assert result["stopReason"] == "end"
    system = system_of(sent(server, 0))
    assert tool_names(system) == {"read", "list", "find", "recall", "search", "scrape"}
    refused = next(e for e in d.events if e["type"] == "result")
    assert refused["payload"]["name"] == "write" and refused["payload"]["error"]
    assert "not available in ask mode" in refused["payload"]["outcome"]
    assert "not available in ask mode" in last_user(sent(server))  # the model learns why
    assert not (workspace / "new.py").exists() and d.permissions == []
    (user,) = [e for e in d.events if e["type"] == "user"]
    assert user["payload"]["chatMode"] == "ask"


async def test_plan_mode_asks_for_a_numbered_plan(make_daemon: Any, server: FakeHTTPServer) -> None:
    server.script = Script.of([respond("1. do it")])
    d = await make_daemon(settings=settings(server))
    await d.prompt("how would you add caching?", chatMode="plan")
    system = system_of(sent(server))
    assert "numbered plan" in system and "write" not in tool_names(system)


async def test_models_are_listed_and_a_chosen_model_sticks_without_losing_allow_always(
    make_daemon: Any, workspace: Path, server: FakeHTTPServer
) -> None:
    server.script = Script.of(
        [
            call("write", file="one.py", content="1\n"),
            respond("one"),
            call("write", file="two.py", content="2\n"),
            respond("two"),
            respond("three"),
        ]
    )
    d = await make_daemon(settings=settings(server, permissions={"edit": "ask"}))
    listed = await d.request("silcrow/models", {"workspaceUri": d.uri})
    assert listed["current"] == "m1" and [m["id"] for m in listed["models"]] == ["m1", "m2"]
    d.decision = "allow_always"
    first = await d.prompt("write one")
    assert [sent(server, i)["model"] for i in range(2)] == ["m1", "m1"]
    cid = first["conversationId"]
    await d.prompt("write two", conversationId=cid, model="m2")
    assert len(d.permissions) == 1  # "allow always" of the first turn still holds
    await d.prompt("and three", conversationId=cid)
    assert [sent(server, i)["model"] for i in range(2, 5)] == ["m2", "m2", "m2"]
    assert (workspace / "two.py").read_text() == "2\n"


async def test_an_image_reaches_the_model_as_an_image_part(
    make_daemon: Any, server: FakeHTTPServer
) -> None:
    server.script = Script.of([respond("a logo")])
    d = await make_daemon(settings=settings(server))
    image = {"kind": "image", "mimeType": "image/png", "data": PNG}
    await d.prompt("what is this?", context=[image])
    parts = last_user(sent(server))
    assert parts[0]["type"] == "text" and "what is this?" in parts[0]["text"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}


async def test_a_provider_without_images_refuses_one_with_a_clear_error(make_daemon: Any) -> None:
    d = await make_daemon(settings={"fakeScript": {"replies": [respond("never")]}})
    image = {"kind": "image", "mimeType": "image/png", "data": PNG}
    result = await d.prompt("what is this?", context=[image])
    assert result["stopReason"] == "error" and "does not take images" in result["error"]


@pytest.mark.parametrize(
    ("vendor", "part"),
    [
        ("gemini", {"inlineData": {"mimeType": "image/png", "data": PNG}}),
        (
            "anthropic",
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        ),
    ],
)
async def test_an_image_reaches_gemini_and_anthropic_in_their_own_shape(
    make_daemon: Any, server: FakeHTTPServer, vendor: str, part: dict[str, Any]
) -> None:
    server.script = Script.of([respond("a logo")])
    d = await make_daemon(
        settings={
            "provider": vendor,
            "baseUrl": server.base_url(vendor),
            "model": "m1",
            "mode": "replay",
            "apiKeyEnv": "FAKE_VENDOR_KEY",
        },
        env={"FAKE_VENDOR_KEY": "test-key"},
    )
    image = {"kind": "image", "mimeType": "image/png", "data": PNG}
    result = await d.prompt("what is this?", context=[image])
    assert result["stopReason"] == "end", result
    (request,) = [r for r in server.requests if r.body]
    assert isinstance(request.json, dict)
    turns = request.json["contents"] if vendor == "gemini" else request.json["messages"]
    assert part in turns[-1]["parts" if vendor == "gemini" else "content"]
