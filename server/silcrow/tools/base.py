"""The tool contract and the workspace port.

* ``Tool``: name, description, JSON-schema ``args`` the model sees, a
  ``category`` the permission policy keys on (read, edit, shell, network),
  ``idempotent`` (running it twice leaves the same state as once) and
  ``read_only`` (it changes nothing outside itself: no file, process or
  remote state). Only a read-only call is run again when a turn continues
  after an interruption left it without a result; any other call gets an
  "outcome unknown" result instead (``idempotent`` does not count: a write
  is idempotent, yet running it again could overwrite later changes).
  ``execute(**args)`` returns a ``ToolResult``. A custom tool is a subclass
  with those class attributes and an ``async def execute``; it is not
  read-only unless it says so.
* ``ToolResult(outcome, content, error)``: ``outcome`` is the short line the
  user sees, ``content`` what the model gets.
* ``Workspace``: the port built-in tools act through. ``LocalWorkspace``
  (``silcrow.tools.local``) is confined to a root directory on disk; the
  daemon supplies an editor-backed one. Paths given to a workspace are
  relative to its root or absolute; it refuses anything outside the root by
  raising ``ToolError``.
* ``ToolContext``: who is calling (conversation, user) for tools that need it
  (``recall`` excludes the current conversation). The agent sets it for the
  duration of each call.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

Category = Literal["read", "edit", "shell", "network", "memory"]


@dataclass(frozen=True, slots=True)
class ToolResult:
    outcome: str
    content: str = ""
    error: bool = False


class ToolError(Exception):
    """Raised inside a tool or workspace; becomes ``ToolResult(error=True)``."""


class ToolRejected(ToolError):
    """The user (their editor) declined what the tool did: "rejected by the user", not a failure."""

    def result(self, tool_name: str) -> ToolResult:
        return ToolResult(f"{tool_name} rejected by the user", str(self), error=True)


class Tool:
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    args: ClassVar[dict[str, Any]] = {}
    """JSON schema of the arguments: ``{"file": {"type": "string", "description": ...}}``
    or a full object schema with ``properties``/``required``."""
    category: ClassVar[Category] = "read"
    idempotent: ClassVar[bool] = False
    read_only: ClassVar[bool] = False

    async def execute(self, **kwargs: Any) -> ToolResult:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ToolContext:
    conversation_id: str = ""
    user_id: str = ""
    turn_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


CURRENT: contextvars.ContextVar[ToolContext] = contextvars.ContextVar(
    "silcrow_tool_context",
    default=ToolContext(),  # noqa: B039 - the default is never mutated
)


def current_context() -> ToolContext:
    return CURRENT.get()


@dataclass(frozen=True, slots=True)
class ShellOutcome:
    exit_code: int | None  # None: killed (timeout or cancel)
    output: str  # combined stdout/stderr, capped head+tail
    timed_out: bool = False
    truncated: bool = False


OutputSink = Callable[[str], Awaitable[None]]


@runtime_checkable
class Workspace(Protocol):
    """Where tools read, write and run. All methods confine paths to ``root``."""

    root: Path

    def resolve(self, path: str) -> Path:
        """The real absolute path inside the root, or ``ToolError`` saying why not."""
        ...

    async def read_text(self, path: str) -> str:
        """Current text (an editor's unsaved buffer wins over disk)."""
        ...

    async def write_text(self, path: str, text: str) -> None:
        """Create or replace a file (parents created); durable before return."""
        ...

    async def run(
        self,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109
        on_output: OutputSink | None = None,
    ) -> ShellOutcome:
        """Run a shell command in the root; killed with its process group on cancel."""
        ...


Decision = Literal["allow_once", "allow_always", "reject"]


@dataclass(frozen=True, slots=True)
class PermissionRequest:
    """What the user is asked before a tool runs (shell, network, or writes if configured)."""

    tool: str
    category: Category
    args: dict[str, Any]
    summary: str  # one line a person can judge, e.g. "Run `pytest -q` in /repo"
    conversation_id: str = ""


AskFn = Callable[[PermissionRequest], Awaitable[Decision]]
