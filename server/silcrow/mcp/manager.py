"""The MCP servers of one workspace session: start, list tools, approve, stop.

Owned by whoever owns the session (the daemon's ``WorkspaceSession``, an
``Agent`` given ``mcp_servers=`` as plain config, ``silcrow chat``).

Algorithm:
1. ``McpManager(servers, root=..., approvals=...)`` keeps one
   ``ServerConnection`` per definition. ``start()`` starts every server
   the user defined and every workspace server the user approved
   (``ApprovalStore``); an unapproved workspace server stays
   ``needs_approval`` and the user is told once how to approve it.
2. ``wait_ready()`` (before a turn) waits for the started servers to list
   their tools, bounded by ``READY_WAIT`` seconds from each server's start,
   so only the first turn after a start waits; a server still starting
   then gets a notice naming it, and the turn goes on without its tools.
3. ``tools()`` is the current tool list: each running server's tools in
   the order it listed them, servers in name order, the same ``Tool``
   objects while the listing is unchanged (a stable system prompt).
4. ``notices()`` drains what the model should be told (a server that
   failed, stopped or was too slow); the same texts go to ``on_notice``
   for the user. ``status()`` is what editors and ``silcrow doctor`` show.
5. ``approve(name)`` records the approval in user scope and starts the
   server; ``update(servers)`` restarts changed definitions, stops removed
   ones, starts new ones; ``aclose()`` stops every server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silcrow.mcp.approvals import ApprovalStore
from silcrow.mcp.connection import ListedTool, ServerConnection, State
from silcrow.mcp.spec import Origin, ServerSpec, parse_servers
from silcrow.mcp.tools import make_tool
from silcrow.mcp.workspace import workspace_servers
from silcrow.tools.base import Tool

READY_WAIT = 10.0  # seconds a turn waits for a server started with the session


class UnknownServer(KeyError):
    """No MCP server of that name in this session."""


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One server as editors and ``silcrow doctor`` show it."""

    name: str
    state: State
    origin: Origin
    command: str  # the command line or URL
    source: str = ""  # the workspace file that defines it
    detail: str = ""  # why it failed or is restarting
    tools: tuple[str, ...] = field(default=())

    def as_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "origin": self.origin,
            "command": self.command,
            "source": self.source,
            "detail": self.detail,
            "toolCount": len(self.tools),
            "tools": list(self.tools),
        }


class McpManager:
    """Every MCP server of one session, supervised."""

    def __init__(
        self,
        servers: Mapping[str, ServerSpec],
        *,
        root: Path | None = None,
        approvals: ApprovalStore | None = None,
        on_notice: Callable[[str], None] = lambda _: None,
        on_change: Callable[[], None] = lambda: None,
        ready_wait: float = READY_WAIT,
    ) -> None:
        self.root = root
        self.approvals = approvals or ApprovalStore()
        self.on_notice = on_notice
        self.on_change = on_change
        self.ready_wait = ready_wait
        self._specs: dict[str, ServerSpec] = dict(servers)
        self._conns: dict[str, ServerConnection] = {}
        self._deadlines: dict[str, float] = {}
        self._pending: list[str] = []
        self._tools: dict[str, tuple[tuple[ListedTool, ...], list[Tool]]] = {}
        self._started = False

    @classmethod
    def from_config(
        cls,
        raw: object,
        *,
        root: Path | None = None,
        workspace_files: bool = False,
        on_notice: Callable[[str], None] = lambda _: None,
        **kwargs: Any,
    ) -> McpManager:
        """A manager for an ``mcpServers`` object (and, if asked, ``root``'s MCP files)."""
        servers, issues = parse_servers(raw)
        if workspace_files and root is not None:
            found, more = workspace_servers(root)
            servers = {**found, **servers}  # the user's definition wins
            issues += more
        for issue in issues:
            on_notice(issue.message())
        return cls(servers, root=root, on_notice=on_notice, **kwargs)

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        """Start every user-defined and every approved workspace server (idempotent)."""
        self._started = True
        for name, spec in sorted(self._specs.items()):
            if name in self._conns:
                continue
            conn = ServerConnection(
                spec, root=self.root, on_change=self.on_change, on_notice=self._notice
            )
            self._conns[name] = conn
            if self.root is not None and not self.approvals.approved(self.root, spec):
                conn.state = "needs_approval"
                self.on_notice(
                    f"Silcrow: {spec.source or 'the workspace'} defines MCP server {name!r} "
                    f"(`{spec.describe()}`); it is not started until you approve it "
                    "(VS Code: Silcrow: MCP Servers; Neovim: :SilcrowMcp)."
                )
                continue
            self._launch(name, conn)
        self.on_change()

    def _launch(self, name: str, conn: ServerConnection) -> None:
        self._deadlines[name] = time.monotonic() + self.ready_wait
        conn.start()

    async def wait_ready(self) -> None:
        """Wait (bounded) for started servers to list their tools; notice the slow ones."""
        if not self._started:
            self.start()
        waits = {
            name: max(0.0, self._deadlines.get(name, 0.0) - time.monotonic())
            for name, conn in self._conns.items()
            if conn.state not in ("needs_approval", "stopped") and not conn.ready.is_set()
        }
        if not waits:
            return
        await asyncio.gather(
            *(self._wait_one(name, seconds) for name, seconds in waits.items()),
        )

    async def _wait_one(self, name: str, seconds: float) -> None:
        conn = self._conns[name]
        try:
            await asyncio.wait_for(conn.ready.wait(), seconds)
        except TimeoutError:
            self._deadlines[name] = 0.0  # waited once; later turns go on at once
            self._notice(
                f"MCP server {name!r} has not listed its tools after {self.ready_wait:g} s; "
                "this turn goes on without them."
            )

    async def approve(self, name: str) -> ServerStatus:
        """The user approved workspace server ``name``: remember it and start it."""
        spec = self._spec(name)
        if self.root is not None:
            self.approvals.approve(self.root, spec)
        conn = self._conns.get(name)
        if conn is not None and conn.state == "needs_approval":
            self._launch(name, conn)
        elif conn is not None and conn.state in ("failed", "stopped"):
            await conn.stop()
            self._launch(name, conn)
        elif conn is None:
            self.start()
        return self._status(name)

    async def update(self, servers: Mapping[str, ServerSpec]) -> None:
        """New definitions: stop what went or changed, start what is new."""
        for name in list(self._conns):
            if servers.get(name) != self._specs.get(name):
                await self._conns.pop(name).stop()
                self._tools.pop(name, None)
        self._specs = dict(servers)
        if self._started:
            self.start()

    async def aclose(self) -> None:
        await asyncio.gather(*(conn.stop() for conn in self._conns.values()))
        self._conns.clear()
        self._tools.clear()
        self._started = False

    # -- what the session reads ---------------------------------------------
    def tools(self) -> list[Tool]:
        out: list[Tool] = []
        for name in sorted(self._conns):
            conn = self._conns[name]
            if conn.state != "running":
                continue
            listed = tuple(conn.tools)
            cached = self._tools.get(name)
            if cached is None or cached[0] != listed:
                cached = (listed, [make_tool(name, tool, conn) for tool in listed])
                self._tools[name] = cached
            out += cached[1]
        return out

    def notices(self) -> list[str]:
        pending, self._pending = self._pending, []
        return pending

    def status(self) -> list[ServerStatus]:
        return [self._status(name) for name in sorted(self._specs)]

    def _status(self, name: str) -> ServerStatus:
        spec = self._spec(name)
        conn = self._conns.get(name)
        state: State = conn.state if conn is not None else "stopped"
        tools = tuple(t.name for t in conn.tools) if conn is not None else ()
        return ServerStatus(
            name, state, spec.origin, spec.describe(), spec.source,
            conn.detail if conn is not None else "", tools,
        )  # fmt: skip

    def _spec(self, name: str) -> ServerSpec:
        spec = self._specs.get(name)
        if spec is None:
            known = ", ".join(sorted(self._specs)) or "(none)"
            raise UnknownServer(f"no MCP server named {name!r}; servers: {known}")
        return spec

    def _notice(self, text: str) -> None:
        self._pending.append(text)
        self.on_notice(f"Silcrow: {text}")
