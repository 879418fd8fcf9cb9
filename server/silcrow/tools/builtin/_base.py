"""What every built-in tool shares: argument checks, errors as results, caps.

Algorithm (``BuiltinTool.execute``):
1. Check the arguments against the tool's schema (``silcrow.tools.schema``).
2. Call ``run(**args)``; a ``ToolError`` becomes ``ToolResult(error=True)``
   whose content tells the model what to do instead (a ``ToolRejected``:
   outcome "<tool> rejected by the user").
3. Cap the content at ``content_limit`` characters (head only; tools that
   need head+tail cap their own output first).
"""

from __future__ import annotations

from typing import Any

from silcrow.tools.base import Tool, ToolError, ToolRejected, ToolResult, Workspace
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.paths import PathPolicy
from silcrow.tools.schema import check_args
from silcrow.tools.text import cap_text

DEFAULT_CONTENT_LIMIT = 40_000


def error_result(message: str) -> ToolResult:
    first = message.splitlines()[0] if message else "error"
    return ToolResult(outcome=f"error: {first[:160]}", content=message, error=True)


def policy_for(workspace: Workspace) -> PathPolicy:
    """The workspace's path policy (defaults for a workspace that is not local)."""
    if isinstance(workspace, LocalWorkspace):
        return workspace.policy
    return PathPolicy(workspace.root)


def arg_schema(properties: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


class BuiltinTool(Tool):
    content_limit: int = DEFAULT_CONTENT_LIMIT

    async def execute(self, **kwargs: Any) -> ToolResult:
        try:
            args = check_args(self, kwargs)
            result = await self.run(**args)
        except ToolRejected as exc:
            return exc.result(self.name)
        except ToolError as exc:
            return error_result(str(exc))
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            return error_result(f"{self.name} failed: {exc.strerror or exc}{where}")
        content, _ = cap_text(result.content, self.content_limit)
        if content is result.content:
            return result
        return ToolResult(result.outcome, content, result.error)

    async def run(self, *args: Any, **kwargs: Any) -> ToolResult:  # pragma: no cover - abstract
        raise NotImplementedError
