"""What an ``Agent`` is built from, checked: ``Security``, its workspace, storage, tool names.

Cogency 3.2.0's ``Agent(llm, storage, security=Security(...))`` is accepted
as it is written there; this module turns those arguments into Silcrow's.

Algorithm:
1. ``Security(access, sandbox_dir, shell_timeout, api_timeout)`` has
   Cogency's fields and defaults. ``workspace_for(security)`` is the folder
   the default tools work in when no ``workspace=`` is given: ``sandbox``
   -> ``sandbox_dir`` (created on first use), ``project`` -> the current
   directory (asked for by name, so never a silent fallback). ``system``
   (any path on the machine) is refused: Silcrow's tools are confined to one
   folder.
2. ``check_storage(storage)``: a path, ``None`` or an object with every
   method of ``Storage`` (``silcrow.agent.eventlog``); anything else is a
   ``TypeError`` naming the missing methods (a Cogency ``Storage`` has
   ``save_message``/``load_messages`` instead).
3. ``resolve_tools(tools, builtins)``: ``silcrow.tools`` selections
   (``tools.name("read")``) are replaced by the agent's built-ins of those
   names; ``Tool`` objects stay as given.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from silcrow.agent.eventlog import EventLog
from silcrow.tools.base import Tool, Workspace
from silcrow.tools.catalogue import Builtin

Access = Literal["sandbox", "project", "system"]
ACCESS: tuple[str, ...] = get_args(Access)


@dataclass(frozen=True)
class Security:
    """Cogency's security settings: where the default tools work, and their time limits."""

    access: Access = "sandbox"
    sandbox_dir: str = ".cogency/sandbox"  # Cogency's folder, so files written before stay
    shell_timeout: int = 30
    api_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.access not in ACCESS:
            raise ValueError(
                f"Security.access must be one of {', '.join(ACCESS)}, not {self.access!r}"
            )
        if self.access == "system":
            raise ValueError(
                "Security(access='system') is not supported: Silcrow's tools work inside one "
                "folder. Use access='project' (the current directory), access='sandbox' with "
                "sandbox_dir=..., or Agent(workspace=LocalWorkspace(Path('...')))"
            )
        if self.shell_timeout <= 0 or self.api_timeout <= 0:
            raise ValueError("Security.shell_timeout and api_timeout must be positive seconds")

    def folder(self) -> Path:
        """The folder this security setting names (made absolute now, created later)."""
        return (Path(self.sandbox_dir) if self.access == "sandbox" else Path.cwd()).resolve()


def workspace_for(security: Security) -> Workspace:
    """The local workspace of step 1, its folder created if needed."""
    from silcrow.tools.local import LocalWorkspace

    folder = security.folder()
    folder.mkdir(parents=True, exist_ok=True)
    return LocalWorkspace(folder)


STORAGE_METHODS = tuple(
    name for name, _ in inspect.getmembers(EventLog, inspect.isfunction) if not name.startswith("_")
)


def check_storage(storage: object) -> None:
    """Refuse storage that cannot back an agent (step 2)."""
    if storage is None or isinstance(storage, str | Path):
        return
    missing = [name for name in STORAGE_METHODS if not callable(getattr(storage, name, None))]
    if missing:
        raise TypeError(
            f"storage {type(storage).__name__} is not a silcrow Storage: it lacks "
            f"{', '.join(missing)}. Pass a database path, None (the default store), or an object "
            "implementing silcrow.Storage (silcrow.store.EventStore is the reference)"
        )


def resolve_tools(
    tools: Sequence[Tool | Builtin], builtins: Callable[[], Sequence[Tool]]
) -> list[Tool]:
    """The agent's tools with every ``Builtin`` selection replaced (step 3)."""
    if not any(isinstance(tool, Builtin) for tool in tools):
        return [tool for tool in tools if isinstance(tool, Tool)]
    by_name = {tool.name: tool for tool in builtins()}
    out: list[Tool] = []
    for tool in tools:
        if isinstance(tool, Builtin):
            if tool.name not in by_name:
                raise ValueError(f"built-in tool {tool.name!r} is not available to this agent")
            out.append(by_name[tool.name])
        else:
            out.append(tool)
    return out
