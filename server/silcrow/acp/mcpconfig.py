"""ACP's ``mcpServers`` list as the common MCP configuration shape.

ACP sends MCP servers as a list: stdio ``{name, command, args, env: [{name,
value}]}`` and http ``{type: "http", name, url, headers: [{name, value}]}``.
Silcrow's MCP package (``silcrow.mcp``) takes the common dict keyed by
server name: ``{"name": {"command", "args", "env", "cwd"}}`` for stdio and
``{"name": {"url", "headers"}}`` for streamable HTTP.

``mcp_config(servers, cwd)`` converts one into the other (stdio servers
start in the session's ``cwd``) and checks the result with
``silcrow.mcp.parse_servers``, so a bad entry is refused at ``session/new``
with the MCP package's own message. Also refused, each with what to do
instead: two servers with one name (a dict cannot keep both), SSE servers
(Silcrow's MCP client speaks stdio and streamable HTTP; the agent does not
advertise ``mcpCapabilities.sse``) and ACP-transport servers.
"""

from __future__ import annotations

from collections.abc import Sequence

from acp.schema import AcpMcpServer, HttpMcpServer, McpServerStdio, SseMcpServer

from silcrow.mcp import parse_servers

AcpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio
McpConfig = dict[str, dict[str, object]]


class McpConfigError(ValueError):
    """An ``mcpServers`` list Silcrow cannot use; the message says what to change."""


def mcp_config(servers: Sequence[AcpServer] | None, cwd: str) -> McpConfig:
    out: McpConfig = {}
    for server in servers or ():
        if server.name in out:
            raise McpConfigError(
                f"mcpServers names {server.name!r} twice; give each server its own name"
            )
        match server:
            case McpServerStdio():
                out[server.name] = {
                    "command": server.command,
                    "args": list(server.args),
                    "env": {item.name: item.value for item in server.env},
                    "cwd": cwd,
                }
            case HttpMcpServer():
                out[server.name] = {
                    "url": server.url,
                    "headers": {h.name: h.value for h in server.headers},
                }
            case SseMcpServer() | AcpMcpServer():
                raise McpConfigError(
                    f"MCP server {server.name!r} uses the {server.type} transport, which "
                    "Silcrow does not support; give it as a stdio or http server"
                )
    _, issues = parse_servers(out)
    if issues:
        raise McpConfigError("; ".join(issue.message("mcpServers") for issue in issues))
    return out
