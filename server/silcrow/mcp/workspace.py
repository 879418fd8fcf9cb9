"""MCP servers a workspace defines in its own files: ``.mcp.json``, ``.vscode/mcp.json``.

Read-only discovery: every server found here has origin ``workspace`` and is
started only once the user approved it (``silcrow.mcp.approvals``). A
server the user defines under the same name wins. A file that cannot be
read or parsed becomes an issue naming the file, never an exception.
"""

from __future__ import annotations

from pathlib import Path

from silcrow.mcp.spec import McpConfigError, ServerSpec, SpecIssue, load_config_file

FILES = (".mcp.json", ".vscode/mcp.json")


def workspace_servers(root: Path) -> tuple[dict[str, ServerSpec], list[SpecIssue]]:
    """The servers defined by ``root``'s MCP files (first file wins per name)."""
    servers: dict[str, ServerSpec] = {}
    issues: list[SpecIssue] = []
    for relative in FILES:
        path = root / relative
        if not path.is_file():
            continue
        try:
            found, problems = load_config_file(path, origin="workspace")
        except McpConfigError as exc:
            issues.append(SpecIssue("", str(exc)))
            continue
        issues += [SpecIssue(p.server, f"{p.problem} (in {relative})") for p in problems]
        for name, spec in found.items():
            servers.setdefault(name, spec)
    return servers, issues
