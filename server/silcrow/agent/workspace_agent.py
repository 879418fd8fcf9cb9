"""One workspace's agent, assembled the same way for every front-end.

The LSP daemon (``silcrow serve``) and the ACP agent (``silcrow acp``) both
run turns on an ``Agent`` built here, so the permission policy, the shell
sandbox and the default tools are wired once:

1. ``AgentOptions`` is what a front-end decides: the permission modes, the
   sandbox (``None`` when there is none), whether commands may use the
   network, extra environment names for commands, the session mode and the
   cycle limit.
2. ``workspace_agent(...)`` puts the sandbox and environment on the
   workspace, builds the ``PermissionPolicy`` (with no sandbox, "allow
   always" on a command prefix is off: it would cover what nothing
   confines) and returns the ``Agent`` with the default tools, then those
   ``more_tools`` adds to them (custom tools from settings), and the MCP servers
   (``mcp_servers``: the common ``mcpServers`` shape or a manager),
   ``changes`` (where checkpoints are stored, who reviews file changes), the
   project rules of the root (``silcrow.agent.rules``) with the user's
   ``instructions``, and ``models`` (the provider of a model a conversation
   chooses). The provider is built by the agent on first use, so a missing key is that turn's
   error, never a crash of the front-end.
3. ``unsandboxed_notice(reason)`` is the one sentence every front-end shows
   once when commands cannot be sandboxed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from silcrow.agent.api import Agent, ProviderFactory
from silcrow.agent.changes import ChangeControl
from silcrow.agent.rules import ProjectRules
from silcrow.agent.turn import Mode
from silcrow.mcp.manager import McpManager
from silcrow.tools.base import AskFn, Tool

if TYPE_CHECKING:
    from silcrow.agent.eventlog import EventLog
    from silcrow.providers.base import Provider
    from silcrow.tools.local import LocalWorkspace
    from silcrow.tools.sandbox import Sandbox


@dataclass(frozen=True)
class AgentOptions:
    """A front-end's choices for one workspace's agent."""

    permissions: Mapping[str, object] = field(default_factory=dict)
    sandbox: Sandbox | None = None
    network: bool = False
    shell_env: Sequence[str] = ()
    mode: Mode = "auto"
    max_iterations: int = 10
    profile: bool = True


def workspace_agent(
    provider: ProviderFactory,
    workspace: LocalWorkspace,
    options: AgentOptions,
    *,
    store: EventLog,
    ask: AskFn | None,
    notices: Callable[[], list[str]] | None,
    workspace_id: str,
    more_tools: Callable[[Sequence[Tool]], Sequence[Tool]] | None = None,
    mcp_servers: Mapping[str, object] | McpManager | None = None,
    changes: ChangeControl | None = None,
    instructions: Callable[[], str] = str,
    models: Callable[[str], Provider | None] | None = None,
) -> Agent:
    """The agent of one workspace (see the module's steps 1-2)."""
    from silcrow.tools.policy import PermissionPolicy
    from silcrow.tools.registry import default_tools

    tools = default_tools(workspace, store=store)
    if more_tools is not None:
        tools += more_tools(tools)
    sandbox = options.sandbox
    workspace.sandbox = replace(sandbox, network=options.network) if sandbox is not None else None
    workspace.shell_env = tuple(options.shell_env)
    permissions = PermissionPolicy.from_settings(
        options.permissions, root=workspace.root, prefix_approvals=sandbox is not None
    )
    return Agent(
        provider,
        mode=options.mode,
        storage=store,
        tools=tools,
        mcp_servers=mcp_servers,
        workspace=workspace,
        max_iterations=options.max_iterations,
        permissions=permissions,
        ask=ask,
        notices=notices,
        workspace_id=workspace_id,
        profile=options.profile,
        changes=changes,
        rules=ProjectRules(workspace.root, instructions),
        models=models,
    )


def unsandboxed_notice(reason: str) -> str:
    """What the user is told once when shell commands cannot be sandboxed."""
    return (
        f"Silcrow: shell commands run without a sandbox: {reason}. "
        'Every shell command will be asked; "allow always" does not apply to them.'
    )
