"""Silcrow events as ACP ``session/update``s, live and on ``session/load``.

``EventView`` turns each stored event of a conversation into the updates a
client shows, in order:

1. ``think`` -> ``agent_thought_chunk``; ``respond`` -> ``agent_message_chunk``;
   ``user`` -> ``user_message_chunk`` on replay only (live, the client
   shows what it sent); notices, ``execute``, ``metric``, ``end`` and
   ``cancelled`` show nothing (the prompt's stop reason says it).
2. ``call`` -> ``tool_call`` (``pending``; kind, title, locations and the
   raw arguments, see ``toolview``) with the id ``<turn>-<seq>`` of the call
   event, so replay gives the same ids. Calls run one after another in the
   order they were written: at ``execute`` the first open call becomes
   ``in_progress``, and each ``result`` closes the oldest open call
   (``completed``, or ``failed`` when the tool failed) with the output as
   text content, then starts the next one. An edit that went through this
   process carries an ACP ``diff`` (path, old and new text) instead of
   Silcrow's own diff text; a command run in the client's terminal
   carries the terminal.
3. A result with no open call (one recovered from an interrupted turn)
   gets a ``tool_call`` of its own first.
4. ``error`` -> an ``agent_message_chunk`` saying what failed; live, the
   turn's final error is the prompt's JSON-RPC error instead.
5. ``call_id(name, args)`` answers the tool side (permission requests,
   terminals): the id of the open call with that name whose arguments
   include the given ones, once
   the events up to it have been shown (it waits for the view to catch up,
   at most ``CATCH_UP`` seconds; then a fresh id).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    tool_diff_content,
    tool_terminal_ref,
    update_agent_message_text,
    update_agent_thought_text,
    update_tool_call,
    update_user_message_text,
)
from acp.schema import (
    AgentMessageChunk,
    AgentThoughtChunk,
    ContentToolCallContent,
    FileEditToolCallContent,
    TerminalToolCallContent,
    ToolCallProgress,
    ToolCallStart,
    UserMessageChunk,
)

from silcrow.acp.toolview import kind_of, locations_of, path_of, title_of
from silcrow.protocol.events import Event

Update = AgentMessageChunk | AgentThoughtChunk | UserMessageChunk | ToolCallStart | ToolCallProgress
ToolContent = ContentToolCallContent | FileEditToolCallContent | TerminalToolCallContent
CATCH_UP = 2.0  # seconds a tool-side lookup waits for the view


@dataclass(frozen=True, slots=True)
class FileChange:
    """One write this process made: ACP's diff of it."""

    path: Path
    old_text: str | None
    new_text: str


@dataclass
class _OpenCall:
    id: str
    name: str
    args: dict[str, Any]


@dataclass
class Sidecar:
    """What the tools did that events do not carry: file changes, client terminals."""

    changes: list[FileChange] = field(default_factory=list)
    terminals: dict[str, str] = field(default_factory=dict)  # call id -> terminal id

    def take_change(self, path: Path) -> FileChange | None:
        for i, change in enumerate(self.changes):
            if change.path == path:
                return self.changes.pop(i)
        return None


class EventView:
    def __init__(self, root: Path, sidecar: Sidecar | None = None) -> None:
        self.root = root
        self.sidecar = sidecar or Sidecar()
        self._open: list[_OpenCall] = []
        self._changed = asyncio.Event()

    # -- events to updates -------------------------------------------------------
    def updates(self, event: Event, *, replay: bool) -> list[Update]:
        payload = event.payload or {}
        out: list[Update] = []
        match event.type:
            case "user" if replay and not payload.get("notice"):
                out.append(update_user_message_text(event.content))
            case "think" if event.content:
                out.append(update_agent_thought_text(event.content))
            case "respond" if event.content:
                out.append(update_agent_message_text(event.content))
            case "call":
                out.append(self._start(event))
            case "execute":
                out.extend(self._next())
            case "result":
                out.extend(self._result(event))
                out.extend(self._next())
            case "error" if replay or payload.get("stopReason") is None:
                out.append(update_agent_message_text(f"\n\n[error: {event.content}]\n\n"))
        return out

    def seen(self) -> None:
        """The updates so far were sent: wake tool-side lookups (step 5)."""
        self._changed.set()

    def _start(self, event: Event) -> ToolCallStart:
        payload = event.payload or {}
        name = str(payload.get("name", ""))
        raw_args = payload.get("args")
        args: dict[str, Any] = dict(raw_args) if isinstance(raw_args, Mapping) else {}
        call = _OpenCall(f"{event.turn_id}-{event.seq}", name, args)
        self._open.append(call)
        if not name:  # malformed: the result will say why
            return start_tool_call(call.id, "Malformed tool call", kind="other", status="pending")
        return start_tool_call(
            call.id,
            title_of(name, args),
            kind=kind_of(name),
            status="pending",
            locations=locations_of(self.root, name, args) or None,
            raw_input=args,
        )

    def _next(self) -> list[Update]:
        if not self._open:
            return []
        return [update_tool_call(self._open[0].id, status="in_progress")]

    def _result(self, event: Event) -> list[Update]:
        payload = event.payload or {}
        out: list[Update] = []
        if self._open:
            call = self._open.pop(0)
        else:  # step 3: recovered from an interrupted turn
            name = str(payload.get("name", ""))
            call = _OpenCall(f"{event.turn_id}-{event.seq}", name, {})
            out.append(start_tool_call(call.id, title_of(name, {}), kind=kind_of(name)))
        failed = bool(payload.get("error"))
        outcome = str(payload.get("outcome", ""))
        out.append(
            update_tool_call(
                call.id,
                status="failed" if failed else "completed",
                content=self._content(call, outcome, event.content, failed),
                raw_output={"outcome": outcome, "error": failed},
            )
        )
        return out

    def _content(self, call: _OpenCall, outcome: str, text: str, failed: bool) -> list[ToolContent]:
        content: list[ToolContent] = []
        terminal = self.sidecar.terminals.pop(call.id, None)
        if terminal is not None:
            content.append(tool_terminal_ref(terminal))
        path = path_of(self.root, call.name, call.args) if call.name in ("edit", "write") else None
        change = self.sidecar.take_change(path) if path is not None and not failed else None
        if change is not None:
            content.append(tool_diff_content(str(change.path), change.new_text, change.old_text))
            content.append(tool_content(text_block(outcome)))
            return content
        shown = f"{outcome}\n\n{text}" if text and text != outcome else outcome
        content.append(tool_content(text_block(shown)))
        return content

    # -- the tool side ------------------------------------------------------------
    async def call_id(self, name: str, args: Mapping[str, Any]) -> str:
        """The id of the open call ``name(args)`` (step 5)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + CATCH_UP
        while True:
            for call in self._open:
                if call.name == name and all(call.args.get(k) == v for k, v in args.items()):
                    return call.id
            left = until - loop.time()
            if left <= 0:
                return f"tool-{uuid.uuid4().hex[:12]}"
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                continue
