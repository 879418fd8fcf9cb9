"""The pure parts of ``silcrow acp``: prompt blocks, stop reasons, MCP lists, tool views, replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from acp import (
    embedded_blob_resource,
    embedded_text_resource,
    image_block,
    resource_block,
    resource_link_block,
    text_block,
)
from acp.schema import EnvVariable, HttpHeader, HttpMcpServer, McpServerStdio, SseMcpServer

from silcrow.acp.content import UnsupportedContent, stop_reason, turn_input
from silcrow.acp.mcpconfig import McpConfigError, mcp_config
from silcrow.acp.toolview import kind_of, locations_of, title_of
from silcrow.acp.updates import EventView, FileChange
from silcrow.protocol.events import Event


def test_prompt_blocks_become_text_and_context() -> None:
    text, context = turn_input(
        [
            text_block("Fix this"),
            resource_link_block("a.py", "file:///w/a.py"),
            resource_block(embedded_text_resource("file:///w/b.py", "x = 1\n")),
            resource_block(
                embedded_blob_resource("file:///w/c.png", "AAAA", mime_type="image/png")
            ),
            text_block("please"),
        ]
    )
    assert text == "Fix this\n\nplease"
    assert context == [
        {"uri": "file:///w/a.py"},
        {"uri": "file:///w/b.py", "text": "x = 1\n"},
        {"uri": "file:///w/c.png", "text": "(image/png; its bytes are not shown)"},
    ]


def test_a_prompt_of_context_alone_still_asks_something() -> None:
    text, context = turn_input([resource_link_block("a.py", "file:///w/a.py")])
    assert text and context == [{"uri": "file:///w/a.py"}]


def test_images_are_refused_with_what_to_send_instead() -> None:
    with pytest.raises(UnsupportedContent, match="does not take image content"):
        turn_input([image_block("AAAA", "image/png")])


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("end", "end_turn"),
        ("cancelled", "cancelled"),
        ("max_iterations", "max_turn_requests"),
        ("length", "max_tokens"),
        ("refusal", "refusal"),
        ("safety", "refusal"),
    ],
)
def test_stop_reasons_map_onto_acp(ours: str, theirs: str) -> None:
    assert stop_reason(ours) == theirs


def test_mcp_servers_become_the_common_shape() -> None:
    servers = [
        McpServerStdio(
            name="time", command="/usr/bin/uvx", args=["mcp-server-time"],
            env=[EnvVariable(name="TZ", value="UTC")],
        ),
        HttpMcpServer(
            type="http", name="docs", url="https://example.test/mcp",
            headers=[HttpHeader(name="Authorization", value="Bearer t")],
        ),
    ]  # fmt: skip
    assert mcp_config(servers, "/w") == {
        "time": {"command": "/usr/bin/uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"},
                 "cwd": "/w"},
        "docs": {"url": "https://example.test/mcp", "headers": {"Authorization": "Bearer t"}},
    }  # fmt: skip
    assert mcp_config(None, "/w") == {}


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        (
            [
                McpServerStdio(name="x", command="a", args=[], env=[]),
                McpServerStdio(name="x", command="b", args=[], env=[]),
            ],
            "names 'x' twice",
        ),
        (
            [SseMcpServer(type="sse", name="old", url="https://e.test/sse", headers=[])],
            "sse transport",
        ),
        ([McpServerStdio(name="two words", command="a", args=[], env=[])], "server name"),
    ],
)
def test_mcp_servers_silcrow_cannot_use_are_refused(servers: list, message: str) -> None:
    with pytest.raises(McpConfigError, match=message):
        mcp_config(servers, "/w")


def test_tool_views(tmp_path: Path) -> None:
    assert [kind_of(n) for n in ("read", "edit", "shell", "find", "scrape", "mcp__x__y")] == [
        "read", "edit", "execute", "search", "fetch", "other",
    ]  # fmt: skip
    assert title_of("shell", {"command": "pytest -q"}) == "Run `pytest -q`"
    assert title_of("read", {"file": "a.py", "start": 3, "end": 9}) == "Read a.py (lines 3-9)"
    root = tmp_path.resolve()
    (location,) = locations_of(root, "read", {"file": "src/a.py", "start": 3})
    assert (location.path, location.line) == (str(root / "src" / "a.py"), 3)
    assert locations_of(root, "read", {"file": "../outside.py"}) == []
    assert locations_of(root, "shell", {"command": "ls"}) == []


def _events(*specs: tuple[str, str, dict | None]) -> list[Event]:
    return [
        Event(kind, content, payload, "c", "t", seq=n)
        for n, (kind, content, payload) in enumerate(specs, 1)
    ]


def test_replay_gives_the_same_tool_calls_as_the_live_turn(tmp_path: Path) -> None:
    events = _events(
        ("user", "hello", None),
        ("user", "a file changed", {"notice": True}),
        ("think", "hmm", None),
        ("call", "{}", {"name": "read", "args": {"file": "a.py"}}),
        ("call", "{}", {"name": "shell", "args": {"command": "false"}}),
        ("execute", "", None),
        ("result", "1: x", {"name": "read", "outcome": "Read a.py", "error": False}),
        ("result", "[exit code 1]", {"name": "shell", "outcome": "exited 1", "error": True}),
        ("respond", "done", None),
        ("end", "", {"stopReason": "end"}),
    )
    view = EventView(tmp_path)
    out = [u for e in events for u in view.updates(e, replay=True)]
    kinds = [u.session_update for u in out]
    assert kinds == [
        "user_message_chunk", "agent_thought_chunk", "tool_call", "tool_call",
        "tool_call_update", "tool_call_update", "tool_call_update", "tool_call_update",
        "agent_message_chunk",
    ]  # fmt: skip
    states = [(u.tool_call_id, u.status) for u in out if u.session_update == "tool_call_update"]
    assert states == [
        ("t-4", "in_progress"), ("t-4", "completed"), ("t-5", "in_progress"), ("t-5", "failed"),
    ]  # fmt: skip
    live = EventView(tmp_path)
    live_out = [u for e in events for u in live.updates(e, replay=False)]
    assert [u.session_update for u in live_out] == kinds[1:]  # the client shows its own prompt


def test_an_edit_made_here_is_shown_as_a_diff(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    view = EventView(root)
    view.sidecar.changes.append(FileChange(root / "a.py", "old\n", "new\n"))
    events = _events(
        ("call", "{}", {"name": "edit", "args": {"file": "a.py", "old": "old", "new": "new"}}),
        ("execute", "", None),
        ("result", "--- a.py", {"name": "edit", "outcome": "Edited a.py (+1 -1)", "error": False}),
    )
    final = [u for e in events for u in view.updates(e, replay=False)][-1]
    diff = final.content[0]
    assert (diff.type, diff.path, diff.old_text, diff.new_text) == (
        "diff", str(root / "a.py"), "old\n", "new\n",
    )  # fmt: skip
    assert not view.sidecar.changes


def test_a_final_error_is_the_prompts_error_but_replay_shows_it(tmp_path: Path) -> None:
    (event,) = _events(("error", "no key", {"stopReason": "error"}))
    assert EventView(tmp_path).updates(event, replay=False) == []
    (shown,) = EventView(tmp_path).updates(event, replay=True)
    assert "no key" in shown.content.text
