"""Permission policy: may this tool call run, or must a person be asked?

Algorithm:
1. Each tool has a category (read, edit, shell, network, memory, custom);
   the policy maps categories to "allow" | "ask" | "deny" (defaults: read,
   edit and memory allow; shell, network and custom tools that do not
   declare themselves read-only ask).
2. ``check(tool, args)``: "deny" and "allow" are final. "ask" becomes "allow"
   when a person said "allow always" to a matching call before:
   - shell (only while ``prefix_approvals`` is on): the command must be one
     simple command (``shellgrammar.simple_argv``: a tree-sitter-bash parse
     plus a character belt; no operators, substitutions, expansions,
     redirections, assignments, comments, control characters) and a
     remembered ``shellrules.Approval`` must cover its argv (argv starts with
     the approved words; never for code runners or exec-options);
   - scrape: by URL host; MCP tools (category ``mcp``): by tool name, or
     by server after "allow every tool of this server" (``allow_server``),
     or by the ``allowMcp`` setting (server names or full tool names);
     with ``mcpReadOnly`` on, MCP tools that declare ``readOnlyHint``;
     other tools: by tool name.
3. ``remember(tool, args)`` records the key for step 2: for shell,
   ``shellrules.approval_for(argv)`` (``ls``, ``git status``, ``python -m
   pytest``, exactly ``make``), or nothing for a command that is not simple
   or that no approval may cover. ``allowCommands`` entries are approvals of
   the same kind. Memory is per policy object, i.e. per workspace and daemon
   run.
4. ``request(...)`` builds the ``PermissionRequest``; its summary shows the
   whole command (never cut) with hidden characters escaped
   (``visible.visible``), then what "allow always" would remember.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from silcrow.tools.base import Category, Decision, PermissionRequest, Tool
from silcrow.tools.mcpnames import server_of
from silcrow.tools.sensitive import write_reason
from silcrow.tools.shellgrammar import NotSimple, simple_argv
from silcrow.tools.shellrules import Approval, approval_for, refusal
from silcrow.tools.visible import visible

Mode = Literal["allow", "ask", "deny"]
MODES: tuple[str, ...] = get_args(Mode)
CATEGORIES: tuple[str, ...] = get_args(Category)
DEFAULT_MODES: dict[str, Mode] = {
    "read": "allow", "edit": "allow", "shell": "ask", "network": "ask", "memory": "allow",
    "mcp": "ask",
    "custom": "ask",
}  # fmt: skip
SUMMARY_WIDTH = 160
NO_PREFIX_APPROVALS = "every shell command is asked in this workspace"


def _host(args: Mapping[str, Any]) -> str:
    return (urlsplit(str(args.get("url", ""))).hostname or "").lower()


def one_line(text: str, width: int = SUMMARY_WIDTH) -> str:
    """``text`` on one line (hidden characters escaped), cut to ``width`` characters."""
    flat = visible(str(text))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def shell_approval(command: str) -> tuple[Approval | None, str]:
    """What "allow always" on ``command`` would remember, and why nothing when None."""
    try:
        argv = simple_argv(command)
    except NotSimple as exc:
        return None, f"not a simple command: {exc}"
    found = approval_for(argv)
    return found, "" if found else str(refusal(argv))


@dataclass
class PermissionPolicy:
    """Per-category modes plus what a person allowed "always" in this workspace."""

    modes: dict[str, Mode] = field(default_factory=lambda: dict(DEFAULT_MODES))
    root: Path | None = None
    prefix_approvals: bool = (
        True  # False: shell is never auto-allowed by "allow always" or allowCommands
    )
    mcp_read_only: bool = False  # MCP tools declaring readOnlyHint run without asking
    _approvals: set[Approval] = field(default_factory=set)
    _keys: set[str] = field(default_factory=set)

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any] | None,
        *,
        root: Path | None = None,
        prefix_approvals: bool = True,
    ) -> PermissionPolicy:
        """Modes from settings such as ``{"shell": "allow", "allowCommands": ["pytest"]}``."""
        modes = dict(DEFAULT_MODES)
        prefixes: list[Approval] = []
        mcp_keys: set[str] = set()
        read_only = False
        for key, value in (settings or {}).items():
            if key in ("allow_commands", "allowCommands"):
                prefixes = _command_list(key, value)
                continue
            if key in ("allow_mcp", "allowMcp"):
                mcp_keys = _mcp_keys(key, value)
                continue
            if key in ("mcp_read_only", "mcpReadOnly"):
                if not isinstance(value, bool):
                    raise ValueError(f"permission setting {key!r} is {value!r}; use true or false")
                read_only = value
                continue
            if key not in CATEGORIES:
                raise ValueError(
                    f"unknown permission setting {key!r}; use one of {', '.join(CATEGORIES)}, "
                    "allowCommands, allowMcp or mcpReadOnly"
                )
            if value not in MODES:
                raise ValueError(
                    f"permission setting {key!r} is {value!r}; allowed values are {', '.join(MODES)}"
                )
            modes[key] = value
        policy = cls(
            modes=modes, root=root, prefix_approvals=prefix_approvals, mcp_read_only=read_only
        )
        policy._approvals.update(prefixes)
        policy._keys.update(mcp_keys)
        return policy

    @classmethod
    def allow_all(cls, *, root: Path | None = None) -> PermissionPolicy:
        return cls(modes=dict.fromkeys(CATEGORIES, "allow"), root=root)

    def check(self, tool: Tool, args: Mapping[str, Any]) -> Mode:
        mode = self.modes.get(tool.category, "ask")
        if mode != "deny" and self.sensitive(tool, args):
            return "ask"  # editor, git, CI and tool configuration: asked every time
        if mode != "ask":
            return mode
        if tool.category == "mcp" and self.mcp_read_only and tool.read_only:
            return "allow"
        return "allow" if self._remembered(tool, args) else "ask"

    def remember(
        self, tool: Tool, args: Mapping[str, Any], decision: Decision = "allow_always"
    ) -> None:
        """Record "allow always" for calls like this one (for shell, maybe nothing; never for a sensitive write).

        ``allow_server`` on an MCP tool covers every tool of its server."""
        if self.sensitive(tool, args):
            return
        server = server_of(tool.name) if tool.category == "mcp" else None
        if decision == "allow_server" and server is not None:
            self._keys.add(_server_key(server))
        elif tool.category == "shell":
            found, _ = shell_approval(str(args.get("command", "")))
            if found is not None and self.prefix_approvals:
                self._approvals.add(found)
        else:
            self._keys.add(self._key(tool, args))

    def sensitive(self, tool: Tool, args: Mapping[str, Any]) -> str | None:
        """Why this call is a sensitive write (``silcrow.tools.sensitive``), or ``None``."""
        target = args.get("file", args.get("path"))
        if tool.category != "edit" or not isinstance(target, str):
            return None
        return write_reason(self.root, target)

    def request(
        self, tool: Tool, args: Mapping[str, Any], conversation_id: str = ""
    ) -> PermissionRequest:
        return PermissionRequest(
            tool=tool.name, category=tool.category, args=dict(args),
            summary=self.summary(tool, args), conversation_id=conversation_id,
        )  # fmt: skip

    def summary(self, tool: Tool, args: Mapping[str, Any]) -> str:
        where = f" in {visible(str(self.root))}" if self.root else ""
        if tool.category == "shell":
            command = str(args.get("command", ""))
            return f"Run `{visible(command)}`{where} ({self._always(command)})"
        if tool.name == "scrape":
            return one_line(f"Fetch {args.get('url', '')}")
        if tool.name == "search":
            return one_line(f"Search the web for {json.dumps(str(args.get('query', '')))}")
        server = server_of(tool.name) if tool.category == "mcp" else None
        if server is not None:
            compact = json.dumps(dict(args), ensure_ascii=False, sort_keys=True, default=str)
            return one_line(f"Call MCP tool {tool.name} (server {server}) with {compact}")
        if tool.category == "edit" and "file" in args:
            verb = "Write" if tool.name == "write" else "Edit"
            why = self.sensitive(tool, args)
            return (
                one_line(f"{verb} {args['file']}")
                + where
                + (f" - always asked: {one_line(why)}" if why else "")
            )
        compact = json.dumps(dict(args), ensure_ascii=False, sort_keys=True, default=str)
        return one_line(f"{tool.name} {compact}")

    def _always(self, command: str) -> str:
        """What "allow always" does for ``command``, said in the question."""
        if not self.prefix_approvals:
            return f"allow always remembers nothing: {NO_PREFIX_APPROVALS}"
        found, why = shell_approval(command)
        if found is None:
            return f"allow always remembers nothing: {visible(why)}"
        return f"allow always covers {visible(found.describe())}"

    def _remembered(self, tool: Tool, args: Mapping[str, Any]) -> bool:
        server = server_of(tool.name) if tool.category == "mcp" else None
        if server is not None and _server_key(server) in self._keys:
            return True
        if tool.category != "shell":
            return self._key(tool, args) in self._keys
        if not self.prefix_approvals:
            return False
        try:
            argv = simple_argv(str(args.get("command", "")))
        except NotSimple:
            return False
        return any(approval.covers(argv) for approval in self._approvals)

    @staticmethod
    def _key(tool: Tool, args: Mapping[str, Any]) -> str:
        if tool.name == "scrape":
            return f"scrape:{_host(args)}"
        return tool.name


def _command_list(key: str, value: Any) -> list[Approval]:
    """``allowCommands`` entries as approvals; an entry no approval may cover is an error."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(
            f'permission setting {key!r} must be a list of command prefixes, e.g. ["pytest"]'
        )
    approvals = []
    for entry in (str(v) for v in value if str(v).strip()):
        try:
            argv = simple_argv(entry)
        except NotSimple as exc:
            raise ValueError(
                f"{key} entry {visible(entry)!r} is not plain words ({exc}); "
                'list command prefixes such as "npm test"'
            ) from None
        why = refusal(argv)
        if why is not None:
            raise ValueError(
                f"{key} entry {visible(entry)!r} can never be allowed without asking: "
                f'{why}; list a narrower prefix such as "python -m pytest"'
            )
        approvals.append(Approval(argv))
    return approvals


def _server_key(server: str) -> str:
    return f"mcp-server:{server}"


def _mcp_keys(key: str, value: Any) -> set[str]:
    """``allowMcp`` entries: a server name (every tool of it) or a full ``mcp__server__tool`` name."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(
            f'permission setting {key!r} must be a list of MCP server or tool names, e.g. ["time"]'
        )
    keys = set()
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(
                f"{key} entry {entry!r} is not a name; use a server name or mcp__server__tool"
            )
        name = entry.strip()
        keys.add(name if server_of(name) else _server_key(name))
    return keys
