"""What a client without Silcrow's UI sees of a turn: log lines, then one summary message.

A client that did not declare ``experimental.silcrow`` (eglot, Helix, a bare
lspconfig set-up) ignores ``silcrow/event``. For it the daemon also writes
each turn to ``window/logMessage`` as it goes (the client's log or events
buffer) and ends it with one ``window/showMessage``: the start of the answer
(Info), the turn's error (Error), or that it was cancelled or stopped
(Warning). A failed turn thus still gives one message, not one per attempt.

Algorithm:
1. ``PlainTurn.feed(event)`` returns the log lines the event completes:
   the question, each whole think or answer block (token deltas are joined
   until the block changes kind), each call and each tool outcome.
2. The turn's final event (it carries ``stopReason``) also sets
   ``summary``: ``(MessageType, text)`` for the one ``window/showMessage``.
Pure: no I/O; ``Daemon`` sends what it returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lsprotocol import types as t

from silcrow.protocol.events import Event

SUMMARY_CHARS = 400
PREFIX = "Silcrow"


@dataclass
class PlainTurn:
    """One turn's plain-client view, fed its events in seq order."""

    block: str = ""  # the kind of the open think/respond block
    parts: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    summary: tuple[t.MessageType, str] | None = None

    def feed(self, event: Event) -> list[str]:
        lines: list[str] = []
        kind, payload = event.type, event.payload or {}
        if kind in ("think", "respond") and (event.is_delta or kind == self.block):
            if kind != self.block:
                lines += self._close()
                self.block = kind
            self.parts.append(event.content)
            return lines
        lines += self._close()
        if kind in ("think", "respond"):
            self.block, self.parts = kind, [event.content]
            if not event.is_delta:
                lines += self._close()
        elif kind == "user":
            label = "notice" if payload.get("notice") else "you"
            lines.append(f"{PREFIX} [{label}] {event.content}")
        elif kind == "call":
            args = json.dumps(payload.get("args", {}), ensure_ascii=False)
            lines.append(f"{PREFIX} → {payload.get('name', payload.get('raw', '?'))} {args}")
        elif kind == "result":
            mark = "✗" if payload.get("error") else "✓"
            lines.append(f"{PREFIX} {mark} {payload.get('outcome', '')}")
        elif kind == "error":
            lines.append(f"{PREFIX} error: {event.content}")
        if "stopReason" in payload:
            self.summary = self._summary(str(payload["stopReason"]), event.content)
        return lines

    def _close(self) -> list[str]:
        if not self.block:
            return []
        text = "".join(self.parts).strip()
        kind, self.block, self.parts = self.block, "", []
        if kind == "respond":
            self.answer.append(text)
        label = "thinking" if kind == "think" else "answer"
        return [f"{PREFIX} [{label}] {text}"] if text else []

    def _summary(self, reason: str, content: str) -> tuple[t.MessageType, str]:
        answer = "\n".join(a for a in self.answer if a)
        if len(answer) > SUMMARY_CHARS:
            answer = answer[:SUMMARY_CHARS].rstrip() + "… (the whole answer is in the log)"
        if reason == "error":
            return t.MessageType.Error, f"{PREFIX}: {content or 'the turn failed'}"
        if reason == "cancelled":
            return t.MessageType.Warning, f"{PREFIX}: cancelled."
        if reason == "max_iterations":
            return t.MessageType.Warning, f"{PREFIX}: {content} {answer}".strip()
        return t.MessageType.Info, f"{PREFIX}: {answer or '(no answer text; see the log)'}"
