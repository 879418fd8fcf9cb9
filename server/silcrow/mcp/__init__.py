"""MCP client support: any Model Context Protocol server's tools become agent tools.

Layer: below ``agent/`` (which offers the tools and runs them through its
executor), above ``tools/`` (the tool contract) and ``store/`` (where the
approval file lives by default). Modules:

* ``spec``: server definitions (``StdioServer``, ``HttpServer``) parsed from
  the common ``mcpServers`` JSON shape; ``load_config_file``.
* ``connection``: one server's supervised connection (the MCP SDK's client).
* ``tools``: listed MCP tools as ``Tool`` objects named ``mcp__<server>__<tool>``.
* ``manager``: ``McpManager``, every server of one session.
* ``workspace``/``approvals``: servers a repository defines, and the user's
  approvals of them (user scope).
* ``report``: ``server_report``, the servers' status for ``silcrow doctor``.
"""

from silcrow.mcp.approvals import ApprovalStore
from silcrow.mcp.connection import ServerConnection, ServerUnavailable
from silcrow.mcp.manager import McpManager, ServerStatus, UnknownServer
from silcrow.mcp.spec import (
    HttpServer,
    McpConfigError,
    ServerSpec,
    SpecIssue,
    StdioServer,
    load_config_file,
    parse_servers,
)

__all__ = [
    "ApprovalStore",
    "HttpServer",
    "McpConfigError",
    "McpManager",
    "ServerConnection",
    "ServerSpec",
    "ServerStatus",
    "ServerUnavailable",
    "SpecIssue",
    "StdioServer",
    "UnknownServer",
    "load_config_file",
    "parse_servers",
]
