"""Terminal rendering of ``silcrow/event`` params, with every daemon text escaped.

Algorithm:
1. ``Renderer.event(ev)`` writes one event as it streams: think dimmed,
   respond as plain text, tool calls and their outcomes on their own lines,
   errors and cancellations in red; a change of kind starts a new line, and
   ``end``, ``error`` and ``cancelled`` close the turn's line. A ``user``
   event marked ``payload.notice`` (the daemon telling the model and the
   user something, e.g. that a reply was cut at the output limit) is shown
   as a notice; the user's own words are not echoed.
2. Text from the daemon (model replies, tool arguments and outcomes, titles,
   errors) goes through ``visible.terminal_safe`` first: ESC, CR, BEL and
   other control or invisible characters are printed escaped (``\\x1b``),
   never raw; only the renderer's own colour codes reach the terminal
   (and only when ``color``, by default when the output is a terminal).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TextIO

from silcrow.tools.visible import terminal_safe

DIM, RED, BOLD, RESET = "\x1b[2m", "\x1b[31m", "\x1b[1m", "\x1b[0m"


class Renderer:
    """Turns ``silcrow/event`` params into terminal output."""

    def __init__(self, out: TextIO | None = None, color: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.color = self.out.isatty() if color is None else color
        self._last: str | None = None

    def _style(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def _switch(self, kind: str) -> None:
        if self._last is not None and self._last != kind:
            self.out.write("\n")
        self._last = kind

    def event(self, ev: Mapping[str, object]) -> None:
        kind, content = ev.get("type"), terminal_safe(str(ev.get("content") or ""))
        raw = ev.get("payload")
        payload: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
        if kind == "think":
            self._switch("think")
            self.out.write(self._style(DIM, content))
        elif kind == "respond":
            self._switch("respond")
            self.out.write(content)
        elif kind == "call":
            self._switch("call")
            args = json.dumps(payload.get("args", {}), ensure_ascii=False)
            line = terminal_safe(f"→ {payload.get('name', '?')} {args}", keep_newlines=False)
            self.out.write(self._style(BOLD, line[:200]))
        elif kind == "output":  # a running command's output, live (already escaped above)
            self._switch("output")
            self.out.write(self._style(DIM, content))
        elif kind == "result":
            self._switch("result")
            mark = self._style(RED, "✗") if payload.get("error") else "✓"
            self.out.write(
                f"{mark} {terminal_safe(str(payload.get('outcome', '')), keep_newlines=False)}"
            )
        elif kind == "user" and payload.get("notice"):
            self.notice(content)
        elif kind in ("error", "cancelled"):
            self._switch(str(kind))
            self.out.write(self._style(RED, content or str(kind)))
        if kind in ("end", "error", "cancelled"):
            self._last = None
            self.out.write("\n")
        self.out.flush()

    def notice(self, text: str) -> None:
        """A message the daemon shows the user (``window/showMessage``), on its own line."""
        if self._last is not None:
            self.out.write("\n")
            self._last = None
        self.out.write(self._style(DIM, terminal_safe(f"[{text}]", keep_newlines=False)) + "\n")
        self.out.flush()
