"""``shell``: run a command with ``/bin/sh -c`` in the workspace root.

The workspace runs it with stdin closed, a scrubbed environment, its own
process group (killed whole on timeout or cancel) and head+tail capped
output. ``timeout`` is clamped to the configured maximum. When the agent puts
an ``on_output`` coroutine function in ``ToolContext.extra``, output is
streamed to it as it arrives.
"""

from __future__ import annotations

from typing import ClassVar

from silcrow.tools.base import ShellOutcome, ToolError, ToolResult, Workspace, current_context
from silcrow.tools.builtin._base import BuiltinTool, arg_schema
from silcrow.tools.policy import one_line


def _outcome(command: str, result: ShellOutcome, timeout: float, note: str) -> str:
    shown = one_line(command, 60)
    if result.timed_out:
        return f"`{shown}` timed out after {timeout:g}s and was killed{note}"
    if result.exit_code is None:
        return f"`{shown}` was killed{note}"
    return f"`{shown}` exited {result.exit_code}{note}"


class ShellTool(BuiltinTool):
    name = "shell"
    description = (
        "Run a shell command (/bin/sh -c) in the workspace root, no input. Output "
        "(stdout and stderr together) is capped to its beginning and end. Background "
        "processes are stopped when the command ends."
    )
    args: ClassVar = arg_schema(
        {
            "command": {"type": "string", "description": "the command line"},
            "timeout": {"type": "number", "description": "seconds before the command is killed"},
        },
        ["command"],
    )
    category = "shell"
    idempotent = False

    def __init__(
        self, workspace: Workspace, *, default_timeout: float = 120.0, max_timeout: float = 600.0
    ) -> None:
        self.workspace = workspace
        self.default_timeout = default_timeout
        self.max_timeout = max_timeout
        self.content_limit = 10**6  # the workspace already caps head+tail

    async def run(self, command: str, timeout: float | None = None) -> ToolResult:  # noqa: ASYNC109
        if not command.strip():
            raise ToolError("command is empty; give a shell command line")
        wanted = self.default_timeout if timeout is None else timeout
        if wanted <= 0:
            raise ToolError("timeout must be a positive number of seconds")
        seconds = min(wanted, self.max_timeout)
        note = (
            f" (timeout lowered to the {self.max_timeout:g}s maximum)" if wanted > seconds else ""
        )
        sink = current_context().extra.get("on_output")
        result = await self.workspace.run(command, timeout=seconds, on_output=sink)
        status = "killed" if result.exit_code is None else f"exit code {result.exit_code}"
        content = f"{result.output}\n[{status}]" if result.output else f"(no output)\n[{status}]"
        return ToolResult(_outcome(command, result, seconds, note), content, error=result.timed_out)
