"""The Workspace port of an ACP session: the client's files and terminal where it offers them.

``ClientWorkspace`` keeps ``LocalWorkspace``'s path policy (confinement to
the session's ``cwd``, protected paths, secret files and secret contents)
and replaces only the I/O, following what the client advertised at
``initialize``:

1. Reads: ``fs/read_text_file`` with the absolute path when the client has
   ``fs.readTextFile`` (it answers from the editor's buffer, unsaved changes
   included), else the disk. A text over ``max_read_bytes`` is refused as
   it is from disk.
2. Writes: ``fs/write_text_file`` when the client has ``fs.writeTextFile``
   (the change lands in the editor), else an atomic write to disk. Either
   way the change (old text, or None for a new file, and new text) is put
   on the ``Sidecar`` so the tool call can show it as an ACP diff.
3. Commands: with the client's ``terminal`` capability, ``terminal/create``
   (``/bin/sh -c COMMAND`` in the root, output capped like ours), the
   terminal's id is shown on the running tool call, then
   ``terminal/wait_for_exit`` under the tool's timeout (on timeout
   ``terminal/kill``), ``terminal/output``, and always
   ``terminal/release``; a cancelled turn kills the command first. Such a
   command runs where the client runs it, outside Silcrow's sandbox: the
   session then has no sandbox, so every command is asked. Without the
   capability the command runs here, sandboxed as in the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acp.interfaces import Client
from acp.schema import ClientCapabilities

from silcrow.acp.updates import FileChange, Sidecar
from silcrow.tools.base import OutputSink, ShellOutcome, ToolError
from silcrow.tools.local import LocalWorkspace

ShowTerminal = Callable[[str, str], Awaitable[None]]  # (command, terminal id)


@dataclass(frozen=True, slots=True)
class ClientAbilities:
    """What the client does for the agent (from its ``initialize`` capabilities)."""

    read: bool = False
    write: bool = False
    terminal: bool = False

    @classmethod
    def of(cls, caps: ClientCapabilities | None) -> ClientAbilities:
        if caps is None:
            return cls()
        fs = caps.fs
        return cls(
            read=bool(fs and fs.read_text_file),
            write=bool(fs and fs.write_text_file),
            terminal=bool(caps.terminal),
        )


class ClientWorkspace(LocalWorkspace):
    def __init__(
        self,
        root: Path,
        client: Client,
        session_id: str,
        abilities: ClientAbilities,
        sidecar: Sidecar,
        show_terminal: ShowTerminal,
        **kwargs: Any,
    ) -> None:
        super().__init__(root, **kwargs)
        self.client = client
        self.session_id = session_id
        self.abilities = abilities
        self.sidecar = sidecar
        self.show_terminal = show_terminal

    async def load_text(self, real: Path, display: str) -> str:
        if not self.abilities.read:
            return await super().load_text(real, display)
        answer = await self.client.read_text_file(session_id=self.session_id, path=str(real))
        if len(answer.content.encode("utf-8")) > self.max_read_bytes:
            raise ToolError(
                f"{display} is larger than the {self.max_read_bytes} bytes a read may return; "
                "read a line range (start, end)"
            )
        return answer.content

    async def store_text(self, real: Path, text: str) -> None:
        old = await self._old_text(real)
        if self.abilities.write:
            await self.client.write_text_file(
                session_id=self.session_id, path=str(real), content=text
            )
        else:
            await super().store_text(real, text)
        self.sidecar.changes.append(FileChange(real, old, text))

    async def _old_text(self, real: Path) -> str | None:
        if not await asyncio.to_thread(real.is_file):
            return None
        try:
            return await self.load_text(real, real.name)
        except Exception:  # the old text only feeds the diff view; the write goes on
            return None

    async def run_process(
        self,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the port's signature
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        """The client's terminal when it offers one (``run`` still checks protected files after)."""
        if not self.abilities.terminal:
            return await super().run_process(command, timeout=timeout, on_output=on_output)
        created = await self.client.create_terminal(
            session_id=self.session_id,
            command="/bin/sh",
            args=["-c", command],
            cwd=str(self.root),
            output_byte_limit=self.shell_output_limit,
        )
        terminal = created.terminal_id
        ids = {"session_id": self.session_id, "terminal_id": terminal}
        try:
            await self.show_terminal(command, terminal)
            timed_out = False
            try:
                async with asyncio.timeout(timeout):
                    status = await self.client.wait_for_terminal_exit(**ids)
            except TimeoutError:
                timed_out = True
                await self.client.kill_terminal(**ids)
                status = await self.client.wait_for_terminal_exit(**ids)
            output = await self.client.terminal_output(**ids)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self.client.kill_terminal(**ids)
            raise
        finally:
            with contextlib.suppress(Exception):
                await self.client.release_terminal(**ids)
        exit_code = None if timed_out or status.signal else status.exit_code
        return ShellOutcome(exit_code, output.output, timed_out, output.truncated)
