"""MCP in the terminal client: ``--mcp-config FILE`` and the ``/mcp`` command.

* ``config_servers(path)``: the ``mcpServers`` object of a JSON file (the
  same shapes as ``.mcp.json``: ``{"mcpServers": {...}}``, ``{"servers":
  {...}}`` or the bare map), checked before the daemon starts so a missing
  file or bad JSON stops ``silcrow chat`` with a message naming the file.
  The servers go to the daemon as the user's ``mcpServers`` setting.
* ``mcp_command(request, rest)``: ``/mcp`` lists the workspace's servers
  (state, tool count, why one failed); ``/mcp approve NAME`` approves a
  server the workspace's ``.mcp.json`` defines (``silcrow/mcpApprove``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from silcrow.tools.visible import terminal_safe

Request = Callable[[str, dict[str, Any]], Awaitable[Any]]


class McpConfigFileError(ValueError):
    """``--mcp-config`` names a file that cannot be used; the message says why."""


def config_servers(path: Path) -> dict[str, Any]:
    from silcrow.mcp.spec import McpConfigError, load_config_file, servers_of

    try:
        _, issues = load_config_file(path)
    except McpConfigError as exc:
        raise McpConfigFileError(f"--mcp-config: {exc}") from None
    if issues:
        raise McpConfigFileError("--mcp-config: " + "; ".join(i.message(str(path)) for i in issues))
    found = servers_of(json.loads(path.read_text(encoding="utf-8")))
    return dict(found) if isinstance(found, dict) else {}


def _line(server: dict[str, Any]) -> str:
    name = terminal_safe(str(server.get("name")), keep_newlines=False)
    state = str(server.get("state"))
    text = f"  {name}: {state}, {server.get('toolCount', 0)} tools"
    if server.get("origin") == "workspace":
        text += f" (from {terminal_safe(str(server.get('source')), keep_newlines=False)})"
    if server.get("detail"):
        text += f" - {terminal_safe(str(server['detail']), keep_newlines=False)}"
    if state == "needs_approval":
        text += f"\n    runs `{terminal_safe(str(server.get('command')), keep_newlines=False)}`;"
        text += f" approve with /mcp approve {name}"
    return text


async def mcp_command(request: Request, rest: str) -> None:
    words = rest.split()
    if words[:1] == ["approve"] and len(words) == 2:
        found = await request("silcrow/mcpApprove", {"name": words[1]})
        servers = found.get("servers", [])
    else:
        servers = (await request("silcrow/mcpServers", {})).get("servers", [])
    for server in servers:
        print(_line(server))
    if not servers:
        print("[no MCP servers: pass --mcp-config FILE, or add .mcp.json to the workspace]")
