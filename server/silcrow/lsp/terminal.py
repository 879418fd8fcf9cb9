"""Shell commands in the editor's terminal: the ``terminal`` capability.

Algorithm (``EditorTerminal.run``):
1. A fresh ``runId``; ``silcrow/terminal/run {runId, command, cwd}`` goes to
   the client. ``command`` is the whole line (``tools.termline``: ``cd``,
   ``env -i`` with the allowlisted environment, the sandbox), run as given.
2. ``output`` (the ``silcrow/terminal/output {runId, data}`` notification)
   feeds that run: terminal escape sequences (colours, cursor moves, the
   shell-integration marks) are removed, a sequence split between two
   notifications included, and CR LF becomes LF; the text goes into a
   head+tail buffer and, in order, to ``on_output``. Output of an unknown or
   finished run is dropped.
3. The answer ``{exitCode}`` ends the run (JSON-RPC keeps order on one
   stream, so the output sent before it is all in).
4. Timeout or cancellation: ``silcrow/terminal/kill {runId}`` is sent and the
   run ends at once, not waiting for the client (a client that never
   answers cannot hang the turn); its late answer is ignored.
5. An error answer before any output means the client did not run it (e.g.
   VS Code without shell integration): ``TerminalUnavailable``, and the
   workspace runs the command itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pygls.lsp.server import LanguageServer

from silcrow.lsp.plain import as_plain
from silcrow.tools.base import OutputSink, ShellOutcome
from silcrow.tools.text import HeadTail

log = logging.getLogger(__name__)

# CSI (colours, cursor), OSC (titles, shell-integration marks; BEL or ST ends it),
# other two-character escapes, and lone CRs before a newline.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_PARTIAL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?\Z")


class TerminalUnavailable(Exception):
    """The client answered ``silcrow/terminal/run`` with an error before running anything."""


@dataclass
class PlainText:
    """Terminal output without escape sequences, fed piece by piece."""

    held: str = ""

    def feed(self, data: str, *, final: bool = False) -> str:
        text = self.held + data
        self.held = ""
        partial = None if final else _PARTIAL.search(text)
        if partial is not None:
            text, self.held = text[: partial.start()], text[partial.start() :]
        return _ESCAPE.sub("", text).replace("\r\n", "\n")


@dataclass
class _Run:
    buffer: HeadTail
    on_output: OutputSink | None
    plain: PlainText = field(default_factory=PlainText)
    seen: bool = False
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)

    def add(self, data: str, *, final: bool = False) -> None:
        self.seen = self.seen or bool(data)
        text = self.plain.feed(data, final=final)
        if text:
            self.buffer.add(text.encode("utf-8"))
            self.queue.put_nowait(text)

    async def forward(self) -> None:
        while (text := await self.queue.get()) is not None:
            if self.on_output is not None:
                with contextlib.suppress(Exception):
                    await self.on_output(text)


class EditorTerminal:
    """Runs command lines in the client's terminal and collects what they print."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self._runs: dict[str, _Run] = {}

    def output(self, run_id: str, data: str) -> None:
        """A ``silcrow/terminal/output`` notification (``lsp.contract`` checked its params)."""
        run = self._runs.get(run_id)
        if run is not None:
            run.add(data)

    async def run(
        self,
        line: str,
        *,
        cwd: Path,
        timeout: float,  # noqa: ASYNC109 - the Workspace port passes a number
        limit: int,
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        """Step 1 to 5 of the module docstring."""
        run_id = uuid.uuid4().hex
        run = self._runs[run_id] = _Run(HeadTail(limit), on_output)
        pump = asyncio.ensure_future(run.forward())
        params = {"runId": run_id, "command": line, "cwd": str(cwd)}
        answer = asyncio.ensure_future(
            self.server.protocol.send_request_async("silcrow/terminal/run", params)
        )
        # Never cancelled: a late answer must find its request still waiting, and is ignored.
        answer.add_done_callback(_retrieve)
        exit_code: int | None = None
        timed_out = False
        try:
            try:
                async with asyncio.timeout(timeout):
                    result = await asyncio.shield(answer)
            except TimeoutError:
                timed_out = True
                self._kill(run_id)
            except asyncio.CancelledError:
                self._kill(run_id)
                raise
            except Exception as exc:
                if not run.seen:
                    raise TerminalUnavailable(str(exc) or "the client refused") from exc
                log.warning("silcrow/terminal/run failed after output: %s", exc)
            else:
                exit_code = _exit_code(result)
        finally:
            del self._runs[run_id]
            run.add("", final=True)
            run.queue.put_nowait(None)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.3):
                    await asyncio.shield(pump)
        return ShellOutcome(
            exit_code=exit_code, output=run.buffer.text(), timed_out=timed_out,
            truncated=run.buffer.truncated,
        )  # fmt: skip

    def _kill(self, run_id: str) -> None:
        with contextlib.suppress(Exception):
            self.server.protocol.notify("silcrow/terminal/kill", {"runId": run_id})

    async def aclose(self) -> None:
        for run_id in list(self._runs):
            self._kill(run_id)


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()  # an error answer after the run ended: nothing to do with it


def _exit_code(result: object) -> int | None:
    raw = as_plain(result)
    code = raw.get("exitCode") if isinstance(raw, dict) else None
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    log.warning('silcrow/terminal/run answered %r; expected {"exitCode": integer}', raw)
    return None
