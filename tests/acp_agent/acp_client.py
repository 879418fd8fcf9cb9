"""An independent ACP client for the tests: the SDK's client side, recording what it sees.

``RecordingClient`` implements the client half of the protocol with the
``agent-client-protocol`` SDK's types: it records every ``session/update``
(with the order in which updates and responses arrived), answers
permission questions with a chosen option, serves ``fs/*`` from its own
"editor buffers" (falling back to disk) and, when asked to, runs
``terminal/*`` commands as real processes. ``start_agent`` spawns
``silcrow acp`` with the SDK's ``spawn_agent_process``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import PROTOCOL_VERSION, spawn_agent_process
from acp.client.connection import ClientSideConnection
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    CreateTerminalResponse,
    DeniedOutcome,
    FileSystemCapabilities,
    Implementation,
    InitializeResponse,
    KillTerminalResponse,
    ReadTextFileResponse,
    ReleaseTerminalResponse,
    RequestPermissionResponse,
    TerminalOutputResponse,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

SERVER = Path(__file__).resolve().parents[2] / "server"


@dataclass
class Terminal:
    process: asyncio.subprocess.Process
    output: bytearray = field(default_factory=bytearray)
    reader: asyncio.Task[None] | None = None


class RecordingClient:
    def __init__(self, *, fs: bool = True, terminal: bool = False, answer: str = "allow_once"):
        self.fs = fs
        self.terminal = terminal
        self.answer = answer  # an option id, or "cancelled"
        self.updates: list[Any] = []
        self.log: list[str] = []  # "update:<kind>" and "response:<what>" in arrival order
        self.buffers: dict[str, str] = {}  # absolute path -> unsaved editor text
        self.reads: list[str] = []
        self.writes: list[tuple[str, str]] = []
        self.permissions: list[Any] = []
        self.terminals: dict[str, Terminal] = {}
        self.commands: list[list[str]] = []
        self.changed = asyncio.Event()

    def capabilities(self) -> ClientCapabilities:
        fs = FileSystemCapabilities(read_text_file=self.fs, write_text_file=self.fs)
        return ClientCapabilities(fs=fs, terminal=self.terminal)

    # -- the client side of the protocol -----------------------------------------
    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append(update)
        self.log.append(f"update:{update.session_update}")
        self.changed.set()

    async def request_permission(
        self, session_id: str, tool_call: Any, options: list[Any], **kwargs: Any
    ) -> RequestPermissionResponse:
        self.permissions.append((tool_call, options))
        self.changed.set()
        if self.answer == "cancelled":
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(
            outcome=AllowedOutcome(option_id=self.answer, outcome="selected")
        )

    async def read_text_file(
        self, session_id: str, path: str, line: int | None = None, limit: int | None = None,
        **kwargs: Any,
    ) -> ReadTextFileResponse:  # fmt: skip
        self.reads.append(path)
        text = self.buffers.get(path)
        if text is None:
            text = await asyncio.to_thread(Path(path).read_text)
        return ReadTextFileResponse(content=text)

    async def write_text_file(
        self, session_id: str, path: str, content: str, **kwargs: Any
    ) -> WriteTextFileResponse:
        self.writes.append((path, content))
        self.buffers[path] = content  # lands in the editor; saving is the user's business
        return WriteTextFileResponse()

    async def create_terminal(
        self, session_id: str, command: str, args: list[str] | None = None, env: Any = None,
        cwd: str | None = None, output_byte_limit: int | None = None, **kwargs: Any,
    ) -> CreateTerminalResponse:  # fmt: skip
        argv = [command, *(args or [])]
        self.commands.append(argv)
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        term = Terminal(process)
        term.reader = asyncio.ensure_future(self._pump(term))
        terminal_id = f"term-{len(self.terminals) + 1}"
        self.terminals[terminal_id] = term
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def _pump(self, term: Terminal) -> None:
        assert term.process.stdout is not None
        while chunk := await term.process.stdout.read(4096):
            term.output.extend(chunk)

    async def wait_for_terminal_exit(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> WaitForTerminalExitResponse:
        term = self.terminals[terminal_id]
        code = await term.process.wait()
        if term.reader is not None:
            await term.reader
        if code < 0:
            return WaitForTerminalExitResponse(signal=str(-code))
        return WaitForTerminalExitResponse(exit_code=code)

    async def terminal_output(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> TerminalOutputResponse:
        term = self.terminals[terminal_id]
        return TerminalOutputResponse(output=term.output.decode(), truncated=False)

    async def kill_terminal(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> KillTerminalResponse:
        term = self.terminals[terminal_id]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(term.process.pid, 9)
        return KillTerminalResponse()

    async def release_terminal(
        self, session_id: str, terminal_id: str, **kwargs: Any
    ) -> ReleaseTerminalResponse:
        await self.kill_terminal(session_id, terminal_id)
        return ReleaseTerminalResponse()

    # -- helpers for tests ---------------------------------------------------------
    def of_kind(self, kind: str) -> list[Any]:
        return [u for u in self.updates if u.session_update == kind]

    def text(self, kind: str) -> str:
        return "".join(u.content.text for u in self.of_kind(kind))

    async def wait_for(self, kind: str, predicate: Any = None) -> Any:
        """The first update of ``kind`` (that fits ``predicate``), once it has arrived."""
        found: list[Any] = []

        def seen() -> bool:
            found.extend(u for u in self.of_kind(kind) if predicate is None or predicate(u))
            return bool(found)

        await self.wait_until(seen)
        return found[0]

    async def wait_until(self, condition: Any) -> None:
        """Wait until ``condition()`` holds (checked after every update or question)."""
        while not condition():
            self.changed.clear()
            await self.changed.wait()


def call(name: str, **args: object) -> str:
    """A scripted model reply that calls tool ``name`` with ``args``."""
    return f"§call: {json.dumps({'name': name, 'args': args})}\n§execute\n"


def agent_env(
    db: Path, replies: list[str] | None, *, delay: float = 0.0, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.pop("SILCROW_PROVIDER", None)
    env |= {"PYTHONPATH": str(SERVER), "SILCROW_DB": str(db), **extra}
    if replies is not None:
        env["SILCROW_PROVIDER"] = "fake"
        env["SILCROW_FAKE_SCRIPT"] = json.dumps({"replies": replies, "chunk": 3, "delay": delay})
    return env


@contextlib.asynccontextmanager
async def start_agent(
    client: RecordingClient, cwd: Path, env: dict[str, str]
) -> AsyncIterator[tuple[ClientSideConnection, InitializeResponse]]:
    async with spawn_agent_process(
        client, sys.executable, "-m", "silcrow.cli", "acp", env=env, cwd=cwd
    ) as (conn, _process):
        init = await conn.initialize(
            protocol_version=PROTOCOL_VERSION,
            client_capabilities=client.capabilities(),
            client_info=Implementation(name="silcrow-tests", version="1"),
        )
        yield conn, init
