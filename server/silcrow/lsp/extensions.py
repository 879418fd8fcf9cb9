"""What the user adds to a workspace session's agent: MCP servers and custom Python tools.

Algorithm:
1. ``SessionMcp.sync(settings)`` (when the folder is added and after every
   settings change) parses ``mcpServers`` from the user's settings (never
   from a folder's: ``settings.FOLDER_SETTINGS``) plus the servers the
   workspace's ``.mcp.json`` / ``.vscode/mcp.json`` define, creates the
   folder's ``McpManager`` on first use (started at once, so the servers
   come up with the workspace session) and later only updates it, so
   running servers survive a settings change that does not touch them.
   Bad definitions and server notices are shown to the user once each.
2. ``custom_tools(specs, show)`` loads ``tools: ["pkg.mod:Tool", ...]``
   with ``silcrow.tools.loader``; a spec that fails is shown (naming it and
   the cause) and skipped, a name that clashes with an earlier tool too.
3. ``status(uri)`` and ``approve(uri, name)`` back ``silcrow/mcpServers``
   and ``silcrow/mcpApprove``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from silcrow.lsp.contract import McpServerInfo
from silcrow.lsp.settings import Settings

if TYPE_CHECKING:
    from silcrow.mcp import McpManager, ServerStatus
    from silcrow.tools.base import Tool


def server_info(uri: str, status: ServerStatus) -> McpServerInfo:
    wire = status.as_wire()
    return McpServerInfo(
        workspace_uri=uri,
        name=status.name,
        state=status.state,
        origin=status.origin,
        command=status.command,
        source=status.source,
        detail=status.detail,
        tool_count=wire["toolCount"],
        tools=list(status.tools),
    )


class SessionMcp:
    """The MCP servers of one workspace folder, kept across agent rebuilds."""

    def __init__(self, root: Path, show: Callable[[str], None]) -> None:
        self.root = root
        self.show = show
        self.manager: McpManager | None = None
        self._shown: set[str] = set()
        self._lock = asyncio.Lock()

    def _show_once(self, text: str) -> None:
        if text not in self._shown:
            self._shown.add(text)
            self.show(text)

    async def sync(self, settings: Settings) -> McpManager:
        from silcrow.mcp import McpManager, parse_servers
        from silcrow.mcp.workspace import workspace_servers

        async with self._lock:
            servers, issues = parse_servers(settings.mcp_servers)
            found, more = workspace_servers(self.root)
            servers = {**found, **servers}  # the user's definition of a name wins
            for issue in [*issues, *more]:
                self._show_once(issue.message("silcrow.mcpServers"))
            if self.manager is None:
                self.manager = McpManager(servers, root=self.root, on_notice=self._show_once)
                self.manager.start()
            else:
                await self.manager.update(servers)
            return self.manager

    def status(self, uri: str) -> list[McpServerInfo]:
        if self.manager is None:
            return []
        return [server_info(uri, s) for s in self.manager.status()]

    async def approve(self, uri: str, name: str) -> McpServerInfo:
        if self.manager is None:
            from silcrow.mcp import UnknownServer

            raise UnknownServer(f"no MCP server named {name!r} in {uri}")
        return server_info(uri, await self.manager.approve(name))

    async def aclose(self) -> None:
        if self.manager is not None:
            await self.manager.aclose()
            self.manager = None


def custom_tools(specs: Sequence[str], taken: set[str], show: Callable[[str], None]) -> list[Tool]:
    """The custom tools named in settings that load; the others are shown and skipped."""
    from silcrow.tools.loader import ToolLoadError, load_tool

    tools: list[Tool] = []
    for spec in specs:
        try:
            tool = load_tool(spec)
        except ToolLoadError as exc:
            show(f"Silcrow: setting silcrow.tools: {exc}; the tool is left out.")
            continue
        if tool.name in taken:
            show(
                f"Silcrow: setting silcrow.tools: {spec!r} is named {tool.name!r}, "
                "like a tool already loaded; rename it. The tool is left out."
            )
            continue
        taken.add(tool.name)
        tools.append(tool)
    return tools
