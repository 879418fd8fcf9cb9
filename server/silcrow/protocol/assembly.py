"""Context assembly: stored events -> provider-neutral messages. Pure.

Algorithm:
1. The system message is identity + protocol instructions + tool
   descriptions + instructions + project rules (already headed) + profile,
   joined in that fixed order so the
   prefix is byte-stable across cycles (provider prompt caches hit).
2. Events fold into alternating messages:
   * ``user`` -> a user message (its ``payload.context`` items rendered as
     blocks after the text, ``render_context``; its image items ride on the
     message as ``Message.images``; ``payload.notice`` marks a system notice);
   * ``think``/``respond``/``call``/``execute``/``end`` -> sections of one
     assistant message, delimiters synthesised again; consecutive token-mode
     deltas of one type form one section;
   * ``result`` -> a user message starting ``§result:``; the results of one
     ``§execute`` share a message;
   * an aborted-cycle record (``Event.aborted_cycle``: a ``metric`` with
     ``payload.aborted_cycle``; an ``error`` in logs written before) drops the
     assistant sections since the last user-role message (a provider dropped
     mid-reply and the cycle is retried); other ``metric`` events,
     ``cancelled`` and errors are not context.
   Calls that were executed but have no stored result (the daemon crashed or
   the turn was cancelled) get a synthetic result saying the outcome is
   unknown, so the model never assumes success. This is a safety net: the
   turn loop settles such calls with stored results before it asks the model
   again (``unanswered_calls`` finds them; see ``silcrow.agent.turn``).
3. ``history_window=N`` keeps the last N messages, moved to the start of a
   user turn: forward to the first turn start inside the window, or, when the
   window lies inside the latest turn, back to that turn's start (so the
   current question is never lost). A result is thus never kept without the
   call that produced it, and the history starts with a user turn as every
   vendor requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from silcrow.protocol.calls import encode_call
from silcrow.protocol.events import CallToken, Event, ToolCall
from silcrow.protocol.messages import Image, Message, Role
from silcrow.protocol.render import PROTOCOL_INSTRUCTIONS, render_section

RESULT_PREFIX = "§result:"
NOTICE_PREFIX = "§notice:"
UNKNOWN_OUTCOME = (
    "outcome unknown: the turn was interrupted before this call reported back. "
    "Check the workspace before assuming it ran."
)


def build_system(
    *,
    identity: str = "",
    tools: str = "",
    instructions: str = "",
    profile: str = "",
    protocol: str = PROTOCOL_INSTRUCTIONS,
    rules: str = "",
) -> str:
    parts = [
        identity.strip(),
        protocol.strip(),
        f"Tools:\n{tools.strip()}" if tools.strip() else "",
        f"Instructions:\n{instructions.strip()}" if instructions.strip() else "",
        rules.strip(),
        f"What you know about the user:\n{profile.strip()}" if profile.strip() else "",
    ]
    return "\n\n".join(p for p in parts if p)


def _where(item: dict[str, Any]) -> str:
    where = str(item.get("uri", ""))
    rng = item.get("range")
    if isinstance(rng, dict):
        start = rng.get("start", {}).get("line")
        end = rng.get("end", {}).get("line")
        if isinstance(start, int) and isinstance(end, int):
            if end > start and rng.get("end", {}).get("character") == 0:
                end -= 1  # a range ending at column 0 leaves that line out
            where += f" lines {start + 1}-{end + 1}"
    return where


def kind_of(item: Mapping[str, Any]) -> str:
    """A context item's kind; the first contract's ``{uri, range?, text?}`` has none."""
    kind = item.get("kind")
    if isinstance(kind, str):
        return kind
    return "selection" if isinstance(item.get("range"), dict) else "file"


def render_context(items: Iterable[dict[str, Any]]) -> str:
    """Editor context as one block per item after the user text (images: a line each).

    ``[<kind>: <uri> lines a-b]`` (a symbol adds its name), then the item's
    note, if any, then its text fenced.
    """
    blocks = []
    for item in items:
        kind = kind_of(item)
        if kind == "image":
            blocks.append(f"[image: {item.get('mimeType', 'image')}, attached]")
            continue
        head = f"[{kind}: {_where(item)}]"
        if kind == "symbol":
            head = f"[symbol {item.get('name', '')}: {_where(item)}]"
        note = item.get("note")
        lines = [head] + ([f"({note})"] if isinstance(note, str) and note else [])
        text = item.get("text")
        if isinstance(text, str) and text:
            lines.append(f"```\n{text.rstrip(chr(10))}\n```")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def context_images(event: Event) -> tuple[Image, ...]:
    """The images a ``user`` event's context carries."""
    items = (event.payload or {}).get("context") or []
    return tuple(
        Image(str(item.get("mimeType", "")), str(item.get("data", "")))
        for item in items
        if isinstance(item, dict) and item.get("kind") == "image"
    )


def user_text(event: Event) -> str:
    payload = event.payload or {}
    if payload.get("notice"):
        return f"{NOTICE_PREFIX} {event.content}"
    context = payload.get("context")
    if context:
        return f"{event.content}\n\n{render_context(context)}"
    return event.content


def format_result(name: str, content: str, *, error: bool = False) -> str:
    status = " (error)" if error else ""
    return f"{RESULT_PREFIX} {name}{status}\n{content}".rstrip() + "\n"


def call_token(event: Event) -> CallToken:
    """The call a stored ``call`` event holds, as the lexer gave it."""
    payload = event.payload or {}
    if "name" in payload:
        call = ToolCall(str(payload["name"]), dict(payload.get("args") or {}))
        return CallToken(raw=event.content, call=call)
    raw = str(payload.get("raw", event.content))
    return CallToken(raw=raw, error=str(payload.get("error") or "malformed call"))


def call_name(event: Event) -> str:
    """The tool name a ``call`` event's result is filed under (``call`` when malformed)."""
    return str((event.payload or {}).get("name", "call"))


def _call_text(event: Event) -> str:
    payload = event.payload or {}
    if "name" in payload:
        call = ToolCall(str(payload["name"]), dict(payload.get("args") or {}))
        return render_section("call", encode_call(call))
    return render_section("call", str(payload.get("raw", event.content)))


class _Folder:
    """Folds events into messages; one instance per assembly."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.role: Role | None = None
        self.parts: list[str] = []
        self.delta_type: str | None = None
        self.delta_text: list[str] = []
        self.images: list[Image] = []  # of the user message being built
        self.unanswered: list[Event] = []  # executed calls still waiting for a result
        self.calls: list[Event] = []  # calls written since the last execute

    # -- message building -------------------------------------------------
    def _close_delta(self) -> None:
        if self.delta_type is not None:
            self.parts.append(render_section(self.delta_type, "".join(self.delta_text)))
            self.delta_type, self.delta_text = None, []

    def _flush(self) -> None:
        self._close_delta()
        if self.role is not None and self.parts:
            text = "".join(self.parts).strip("\n")
            images = tuple(self.images)
            if self.messages and self.messages[-1].role == self.role:
                prev = self.messages.pop()
                text = f"{prev.content}\n\n{text}"
                images = prev.images + images
            self.messages.append(Message(self.role, text, images))
        self.role, self.parts, self.images = None, [], []

    def _switch(self, role: Role) -> None:
        if self.role != role:
            self._flush()
            self.role = role

    def _settle_unanswered(self) -> None:
        if self.unanswered:
            calls, self.unanswered = self.unanswered, []
            self._switch("user")
            self.parts.extend(
                format_result(call_name(c), UNKNOWN_OUTCOME, error=True) for c in calls
            )

    # -- event handlers ------------------------------------------------------
    def add(self, event: Event) -> None:
        kind = event.type
        if kind == "result":
            self._switch("user")
            payload = event.payload or {}
            name = str(payload.get("name", "tool"))
            answered = next((c for c in self.unanswered if call_name(c) == name), None)
            if answered is not None:
                self.unanswered.remove(answered)
            self.parts.append(format_result(name, event.content, error=bool(payload.get("error"))))
            return
        if kind == "user":
            self._settle_unanswered()
            self._switch("user")
            self.parts.append(user_text(event) + "\n")
            self.images.extend(context_images(event))
            return
        if kind in ("think", "respond", "call", "execute", "end"):
            self._settle_unanswered()
            self._assistant(event)
            return
        if event.aborted_cycle:
            if self.role == "assistant":
                self.role, self.parts, self.delta_type, self.delta_text = None, [], None, []
                self.unanswered = []  # an ``§execute`` of the dropped reply: none of it ran
            self.calls = []

    def _assistant(self, event: Event) -> None:
        self._switch("assistant")
        kind = event.type
        if event.is_delta and kind in ("think", "respond"):
            if self.delta_type != kind:
                self._close_delta()
                self.delta_type = kind
            self.delta_text.append(event.content)
            return
        self._close_delta()
        if kind == "call":
            self.parts.append(_call_text(event))
            self.calls.append(event)
        elif kind == "execute":
            self.parts.append(render_section("execute", ""))
            self.unanswered, self.calls = self.calls, []
        elif kind == "end":
            self.parts.append(render_section("end", ""))
        else:
            self.parts.append(render_section(kind, event.content))

    def finish(self) -> list[Message]:
        self._settle_unanswered()
        self._flush()
        return self.messages


def _fold(events: Iterable[Event]) -> _Folder:
    folder = _Folder()
    for event in events:
        folder.add(event)
    return folder


def assemble_history(events: Iterable[Event]) -> list[Message]:
    return _fold(events).finish()


def unanswered_calls(events: Iterable[Event]) -> list[Event]:
    """The ``call`` events of the last ``§execute`` that have no stored result.

    Non-empty when the log ends inside a tool run: the daemon crashed or the
    turn was cancelled after ``§execute`` and before every result was stored.
    Earlier gaps were already covered by a later user or model message and
    keep the synthetic result assembly gives them.
    """
    return list(_fold(events).unanswered)


def _turn_start(message: Message) -> bool:
    return message.role == "user" and not message.content.startswith(RESULT_PREFIX)


def window(messages: Sequence[Message], size: int | None) -> list[Message]:
    """The last ``size`` messages, moved to a turn start (see the module docstring)."""
    if size is None:
        return list(messages)
    if size <= 0:
        return []
    start = max(0, len(messages) - size)
    forward = next((i for i in range(start, len(messages)) if _turn_start(messages[i])), None)
    if forward is None:  # the window lies inside the latest turn: widen to its start
        forward = next((i for i in range(start, -1, -1) if _turn_start(messages[i])), 0)
    return list(messages[forward:])


def frame(
    history: Sequence[Message], *, system: str = "", history_window: int | None = None
) -> list[Message]:
    """The messages a provider gets: system first, then the windowed history."""
    return ([Message("system", system)] if system else []) + window(history, history_window)


def assemble(
    events: Iterable[Event], *, system: str = "", history_window: int | None = None
) -> list[Message]:
    return frame(assemble_history(events), system=system, history_window=history_window)
