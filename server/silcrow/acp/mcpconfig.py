"""ACP's ``mcpServers`` list as the common MCP configuration shape.

ACP sends MCP servers as a list: stdio ``{name, command, args, env: [{name,
value}]}`` and http/sse ``{type, name, url, headers: [{name, value}]}``.
Silcrow's settings (and ``.mcp.json`` files) use a dict keyed by server
name: ``{"name": {"command", "args", "env", "cwd"}}`` for stdio and
``{"name": {"url", "headers"}}`` (plus ``"type": "sse"`` for SSE) for HTTP.
``mcp_config(servers, cwd)`` converts one into the other; stdio servers
start in the session's ``cwd``. Two servers with the same name are an error
naming it (a dict cannot keep both), as is an ACP-transport server
(``type: "acp"``), which Silcrow does not speak.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from acp.schema import AcpMcpServer, HttpMcpServer, McpServerStdio, SseMcpServer

AcpServer = HttpMcpServer | SseMcpServer | AcpMcpServer | McpServerStdio


class StdioServer(TypedDict):
    command: str
    args: list[str]
    env: dict[str, str]
    cwd: str


class _RemoteBase(TypedDict):
    url: str
    headers: dict[str, str]


class RemoteServer(_RemoteBase, total=False):
    type: str


McpConfig = dict[str, StdioServer | RemoteServer]


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
                out[server.name] = StdioServer(
                    command=server.command,
                    args=list(server.args),
                    env={item.name: item.value for item in server.env},
                    cwd=cwd,
                )
            case HttpMcpServer() | SseMcpServer():
                remote = RemoteServer(
                    url=server.url, headers={h.name: h.value for h in server.headers}
                )
                if isinstance(server, SseMcpServer):
                    remote["type"] = "sse"
                out[server.name] = remote
            case AcpMcpServer():
                raise McpConfigError(
                    f"MCP server {server.name!r} uses the ACP transport, which Silcrow does "
                    "not support; give it as a stdio or http server"
                )
    return out
