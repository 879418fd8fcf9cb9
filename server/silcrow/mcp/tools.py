"""MCP tools as Silcrow tools: ``mcp__<server>__<tool>``, category ``mcp``.

Algorithm:
1. ``make_tool(server, listed, connection)`` builds a ``Tool`` subclass per
   listed tool (the tool contract keeps name, description and schema as
   class attributes): name ``mcp__<server>__<tool>``, the server's
   description (with the server named) and its declared input schema as
   ``args``, category ``mcp``, ``read_only`` from ``readOnlyHint``.
2. ``execute(**args)`` sends ``tools/call`` through the connection and
   renders the result with ``render``: the text blocks; structured content
   as JSON (when the text blocks do not already say the same); each image
   as a line naming its type and size (no provider of Silcrow's takes
   images inside a tool result yet). The executor caps, redacts and stores
   it like any other result. A result the server marks ``isError`` is an
   error result; a server that is down is a ``ToolError`` naming it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, ClassVar

from silcrow.mcp.connection import CallOutput, ListedTool, ServerConnection, ServerUnavailable
from silcrow.tools.base import Category, Tool, ToolError, ToolResult
from silcrow.tools.mcpnames import tool_name


def _size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data)


def render(output: CallOutput) -> str:
    """What the model reads for one MCP result."""
    parts = [text for text in output.texts if text]
    if output.structured is not None:
        structured = json.dumps(output.structured, ensure_ascii=False, sort_keys=True)
        if structured not in parts and not _same_json(parts, output.structured):
            parts.append(structured)
    parts += [
        f"[image {image.mime_type}, {_size(image.data)} bytes: not shown to the model]"
        for image in output.images
    ]
    return "\n".join(parts) if parts else "(the tool returned no content)"


def _same_json(parts: list[str], value: object) -> bool:
    """True when a text block already is the structured value (servers often send both)."""
    for text in parts:
        try:
            if json.loads(text) == value:
                return True
        except ValueError:
            continue
    return isinstance(value, dict) and list(value) == ["result"] and parts == [str(value["result"])]


class McpTool(Tool):
    """Base of the generated classes; ``server`` and ``remote`` say what to call."""

    category: ClassVar[Category] = "mcp"
    server: ClassVar[str] = ""
    remote: ClassVar[str] = ""
    connection: ClassVar[ServerConnection | None] = None

    async def execute(self, **kwargs: Any) -> ToolResult:
        connection = self.connection
        if connection is None:  # pragma: no cover - make_tool always sets it
            raise ToolError(f"{self.name} is not bound to a server")
        try:
            output = await connection.call(self.remote, kwargs)
        except ServerUnavailable as exc:
            raise ToolError(str(exc)) from exc
        content = render(output)
        first = content.splitlines()[0] if content else ""
        if output.is_error:
            return ToolResult(f"{self.name} failed: {first}", content, error=True)
        return ToolResult(f"{self.server}: {self.remote} -> {first}", content)


def make_tool(server: str, listed: ListedTool, connection: ServerConnection) -> Tool:
    """A ``Tool`` for one listed MCP tool, bound to its server's connection."""
    full = tool_name(server, listed.name)
    description = listed.description or "(the server gives no description)"
    attrs: dict[str, Any] = {
        "name": full,
        "description": f"[MCP server {server}] {description}",
        "args": listed.input_schema or {"type": "object", "properties": {}},
        "read_only": listed.read_only,
        "server": server,
        "remote": listed.name,
        "connection": connection,
    }
    cls = type(f"McpTool_{server}_{listed.name}", (McpTool,), attrs)
    tool: Tool = cls()
    return tool
