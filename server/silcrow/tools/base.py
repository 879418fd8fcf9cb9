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
  read-only unless it says so, and its category is ``custom`` (asked before
  it runs wherever there is a person to ask) unless it names one; a
  read-only custom tool is ``read``. Cogency's shape is accepted as is:
  ``schema`` is another name for ``args`` (``{"sql": {}, "limit":
  {"type": "integer", "optional": true}}``), a tool with neither shows the
  model the arguments of its ``execute`` signature, and ``execute`` may
  name ``user_id``, ``sandbox_dir`` and ``access`` to receive them from the
  agent (``silcrow.tools.injected``).
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

Category = Literal["read", "edit", "shell", "network", "memory", "mcp", "custom"]


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
    schema: ClassVar[dict[str, Any]] = {}
    """Cogency's name for ``args``; a subclass that sets only ``schema`` gets it as ``args``."""
    category: ClassVar[Category] = "custom"
    idempotent: ClassVar[bool] = False
    read_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "schema" in cls.__dict__ and "args" not in cls.__dict__:
            cls.args = cls.schema
        if cls.read_only and cls.category == "custom":
            cls.category = "read"

    async def execute(self, **kwargs: Any) -> ToolResult:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ToolContext:
    conversation_id: str = ""
    user_id: str = ""
    turn_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    given_user_id: str | None = None  # as the caller passed it; ``user_id`` falls back to "default"


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


Decision = Literal["allow_once", "allow_always", "allow_server", "reject"]
"""``allow_server``: "allow always" for every tool of the MCP server of the asked tool."""


@dataclass(frozen=True, slots=True)
class PermissionRequest:
    """What the user is asked before a tool runs (shell, network, or writes if configured)."""

    tool: str
    category: Category
    args: dict[str, Any]
    summary: str  # one line a person can judge, e.g. "Run `pytest -q` in /repo"
    conversation_id: str = ""


AskFn = Callable[[PermissionRequest], Awaitable[Decision]]
