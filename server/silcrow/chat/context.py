"""The terminal client's ``@path`` mentions, chat mode and model, and their ``/`` commands.

Algorithm:
1. ``mentions(text, root)``: every ``@path`` word (``@src/a.py``, or
   ``@src/a.py:10-20`` for lines 10 to 20) naming a file inside the
   workspace becomes a context item - ``{kind: "file", uri}``, or a
   ``selection`` with that line range - and stays in the text as written,
   so the model sees what was referred to. A word that names no file (an
   e-mail address, a folder, a path outside the workspace) is left alone;
   folders and outside paths are reported so the user knows they were not
   attached.
2. ``ChatOptions`` holds the mode (``agent``, ``ask``, ``plan``) and the
   model (None: the daemon's setting) sent with every prompt, until changed.
3. ``ChatOptions.command(word, rest, request)`` handles ``/ask``, ``/plan``,
   ``/agent`` (switch mode; a question after it is sent in that mode),
   ``/model`` (list the provider's models; ``/model NAME`` chooses one for
   this conversation and the next prompts), and answers whether it did.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from silcrow.protocol.modes import ChatMode, chat_mode_of
from silcrow.tools.visible import terminal_safe

Request = Callable[[str, dict[str, Any]], Awaitable[Any]]
MENTION = re.compile(r"(?<![\w@])@([\w./-]+?)(?::(\d+)(?:-(\d+))?)?(?=$|[\s,;!?)]|\.(?:\s|$))")
HELP = (
    "commands: /new  /clear  /history  /resume N  /ask [QUESTION]  /plan [QUESTION]  "
    "/agent  /model [NAME]  /mcp [approve NAME]  /checkpoints  "
    "/revert N (after /checkpoints)  /help  /quit\n"
    "@path attaches a workspace file (@path:10-20 its lines 10-20)"
)


def mentions(text: str, root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Step 1: (context items, what was not attached and why)."""
    items: list[dict[str, Any]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for match in MENTION.finditer(text):
        name, first, last = match.group(1), match.group(2), match.group(3)
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            skipped.append(f"@{name} is outside the workspace")
            continue
        if path.is_dir():
            skipped.append(f"@{name} is a folder; name a file")
            continue
        if not path.is_file() or match.group(0) in seen:
            continue
        seen.add(match.group(0))
        if first is None:
            items.append({"kind": "file", "uri": path.as_uri()})
            continue
        start = max(int(first) - 1, 0)
        end = int(last) if last is not None else start + 1
        rng = {"start": {"line": start, "character": 0}, "end": {"line": end, "character": 0}}
        items.append({"kind": "selection", "uri": path.as_uri(), "range": rng})
    return items, skipped


@dataclass
class ChatOptions:
    """Step 2: what every prompt of the terminal client carries besides its text."""

    mode: ChatMode = "agent"
    model: str | None = None

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.mode != "agent":
            out["chatMode"] = self.mode
        if self.model:
            out["model"] = self.model
        return out

    async def command(self, word: str, rest: str, request: Request) -> tuple[bool, str]:
        """Step 3: (handled, a question to send now or "")."""
        if (mode := chat_mode_of(word.removeprefix("/"))) is not None:
            self.mode = mode
            print(f"[{mode} mode{_MODE_NOTES[mode]}]")
            return True, rest.strip()
        if word == "/model":
            await self._model(rest.strip(), request)
            return True, ""
        return False, ""

    async def _model(self, name: str, request: Request) -> None:
        if name:
            self.model = name
            print(f"[model {terminal_safe(name)} for this conversation and the next prompts]")
            return
        found = await request("silcrow/models", {})
        current = self.model or str(found.get("current", ""))
        for model in found.get("models", []):
            mark = "*" if model.get("id") == current else " "
            print(f" {mark} {terminal_safe(str(model.get('id', '')))}")
        if found.get("error"):
            print(f"[the list could not be read: {terminal_safe(str(found['error']))}]")
        print("[choose one with /model NAME]")


_MODE_NOTES: dict[ChatMode, str] = {
    "agent": ": the model may edit files and run commands, as permitted",
    "ask": ": the model only reads; nothing is changed",
    "plan": ": the model only reads and ends with a numbered plan; /agent to carry it out",
}
