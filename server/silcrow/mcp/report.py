"""The configured MCP servers' status, for ``silcrow doctor``.

``server_report(raw, root=...)`` starts each server of an ``mcpServers``
object (and of ``root``'s ``.mcp.json``/``.vscode/mcp.json``, which are only
started when the user approved them), waits at most ``wait`` seconds
for their tool lists, stops them and returns one ``ServerStatus`` each:
running with its tools, failed with the reason, or needing approval.
"""

from __future__ import annotations

from pathlib import Path

from silcrow.mcp.manager import READY_WAIT, McpManager, ServerStatus


async def server_report(
    raw: object, *, root: Path | None = None, wait: float = READY_WAIT
) -> tuple[list[ServerStatus], list[str]]:
    """(status per server, problems found in the definitions)."""
    problems: list[str] = []
    manager = McpManager.from_config(
        raw,
        root=root,
        workspace_files=root is not None,
        on_notice=problems.append,
        ready_wait=wait,
    )
    try:
        manager.start()
        await manager.wait_ready()
        return manager.status(), problems
    finally:
        await manager.aclose()
