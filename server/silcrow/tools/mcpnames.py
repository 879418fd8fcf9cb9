"""Names of MCP tools: ``mcp__<server>__<tool>``, and the server a name belongs to.

Here (below the MCP client) so the permission policy can key "allow always
for this server" on a tool's name without importing the client.
"""

from __future__ import annotations

PREFIX = "mcp__"
SEPARATOR = "__"


def tool_name(server: str, tool: str) -> str:
    """The name the model calls: ``mcp__<server>__<tool>``."""
    return f"{PREFIX}{server}{SEPARATOR}{tool}"


def server_of(name: str) -> str | None:
    """The server of an ``mcp__<server>__<tool>`` name, or ``None`` for any other name."""
    if not name.startswith(PREFIX):
        return None
    server, sep, tool = name[len(PREFIX) :].partition(SEPARATOR)
    return server if sep and server and tool else None
