"""Permission policy: may this tool call run, or must a person be asked?

Algorithm:
1. Each tool has a category (read, edit, shell, network, memory); the policy
   maps categories to "allow" | "ask" | "deny" (defaults: read, edit and
   memory allow; shell and network ask).
2. ``check(tool, args)``: "deny" and "allow" are final. "ask" becomes "allow"
   when a person said "allow always" to a matching call before:
   - shell: the command splits (``shlex``, shell punctuation aware) into
     simple commands joined by ``&&``, ``||``, ``;`` or ``|``; each must start
     with a remembered prefix (newlines count as separators). Command substitution (``$(``, backticks,
     ``<(``) is never allowed without asking.
   - scrape: by URL host; other tools: by tool name.
3. ``remember(tool, args)`` records the key(s) for step 2. A shell prefix is
   the command's first word, or two words for launchers that take a
   sub-command (``npm test``, ``cargo build``, ``git status``), three for
   ``python -m pytest``. Memory is per policy object, i.e. per workspace
   and daemon run.
4. ``request(...)`` builds the ``PermissionRequest`` with a one-line summary
   a person can judge.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from silcrow.tools.base import Category, PermissionRequest, Tool

Mode = Literal["allow", "ask", "deny"]
MODES: tuple[str, ...] = get_args(Mode)
CATEGORIES: tuple[str, ...] = get_args(Category)
DEFAULT_MODES: dict[str, Mode] = {
    "read": "allow", "edit": "allow", "shell": "ask", "network": "ask", "memory": "allow",
}  # fmt: skip
SUBCOMMAND_LAUNCHERS = frozenset(
    {
        "npm", "pnpm", "yarn", "bun", "cargo", "go", "git", "uv", "poetry", "pip", "pip3",
        "docker", "kubectl", "dotnet", "mvn", "gradle", "npx", "make", "just", "hatch",
        "pdm", "rye", "deno", "mix", "bundle", "rails",
    }
)  # fmt: skip
PYTHONS = frozenset({"python", "python3", "py"})
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "|&"})
_SUBSTITUTION = ("$(", "`", "<(", ">(")
SUMMARY_WIDTH = 160


class CommandNotUnderstood(ValueError):
    """A shell command that cannot be split into simple commands."""


def split_commands(command: str) -> list[list[str]]:
    """Simple commands of a shell line: ``"a -x && b | c"`` -> ``[["a","-x"],["b"],["c"]]``."""
    if any(mark in command for mark in _SUBSTITUTION):
        raise CommandNotUnderstood("command substitution")
    # A newline separates commands too; splitting inside quotes only asks more often.
    lexer = shlex.shlex(command.replace("\n", " ; "), posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as exc:
        raise CommandNotUnderstood(str(exc)) from None
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _OPERATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [words for words in commands if words]


def _strip_env(words: list[str]) -> list[str]:
    """Drop leading ``NAME=value`` assignments (``CI=1 pytest`` -> ``pytest``)."""
    i = 0
    while i < len(words) and "=" in words[i] and words[i].split("=", 1)[0].isidentifier():
        i += 1
    return words[i:]


def command_prefix(words: list[str]) -> str:
    """The words that identify a simple command for "allow always"."""
    words = _strip_env(words)
    if not words:
        return ""
    first = words[0]
    if first in PYTHONS and len(words) >= 3 and words[1] == "-m":
        return " ".join(words[:3])
    if first in SUBCOMMAND_LAUNCHERS and len(words) >= 2 and not words[1].startswith("-"):
        return " ".join(words[:2])
    return first


def _host(args: Mapping[str, Any]) -> str:
    return (urlsplit(str(args.get("url", ""))).hostname or "").lower()


def one_line(text: str, width: int = SUMMARY_WIDTH) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@dataclass
class PermissionPolicy:
    """Per-category modes plus what a person allowed "always" in this workspace."""

    modes: dict[str, Mode] = field(default_factory=lambda: dict(DEFAULT_MODES))
    root: Path | None = None
    # False where shell commands run unsandboxed: every command is then asked.
    prefix_approvals: bool = True
    _prefixes: set[str] = field(default_factory=set)
    _keys: set[str] = field(default_factory=set)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None, *, root: Path | None = None) -> PermissionPolicy:
        """Modes from settings such as ``{"shell": "allow", "allowCommands": ["pytest"]}``."""
        modes = dict(DEFAULT_MODES)
        prefixes: list[str] = []
        for key, value in (settings or {}).items():
            if key in ("allow_commands", "allowCommands"):
                prefixes = _command_list(key, value)
                continue
            if key not in CATEGORIES:
                raise ValueError(
                    f"unknown permission setting {key!r}; use one of {', '.join(CATEGORIES)} or allowCommands"
                )
            if value not in MODES:
                raise ValueError(
                    f"permission setting {key!r} is {value!r}; allowed values are {', '.join(MODES)}"
                )
            modes[key] = value
        policy = cls(modes=modes, root=root)
        policy._prefixes.update(prefixes)
        return policy

    @classmethod
    def allow_all(cls, *, root: Path | None = None) -> PermissionPolicy:
        return cls(modes=dict.fromkeys(CATEGORIES, "allow"), root=root)

    def check(self, tool: Tool, args: Mapping[str, Any]) -> Mode:
        mode = self.modes.get(tool.category, "ask")
        if mode != "ask":
            return mode
        return "allow" if self._remembered(tool, args) else "ask"

    def remember(self, tool: Tool, args: Mapping[str, Any]) -> None:
        """Record "allow always" for calls like this one."""
        if tool.category == "shell":
            if not self.prefix_approvals:
                return
            try:
                words = split_commands(str(args.get("command", "")))
            except CommandNotUnderstood:
                return
            self._prefixes.update(p for p in map(command_prefix, words) if p)
        else:
            self._keys.add(self._key(tool, args))

    def request(self, tool: Tool, args: Mapping[str, Any], conversation_id: str = "") -> PermissionRequest:
        return PermissionRequest(
            tool=tool.name, category=tool.category, args=dict(args),
            summary=self.summary(tool, args), conversation_id=conversation_id,
        )  # fmt: skip

    def summary(self, tool: Tool, args: Mapping[str, Any]) -> str:
        where = f" in {self.root}" if self.root else ""
        if tool.category == "shell":
            return one_line(f"Run `{args.get('command', '')}`") + where
        if tool.name == "scrape":
            return one_line(f"Fetch {args.get('url', '')}")
        if tool.name == "search":
            return one_line(f"Search the web for {json.dumps(str(args.get('query', '')))}")
        if tool.category == "edit" and "file" in args:
            verb = "Write" if tool.name == "write" else "Edit"
            return one_line(f"{verb} {args['file']}") + where
        compact = json.dumps(dict(args), ensure_ascii=False, sort_keys=True, default=str)
        return one_line(f"{tool.name} {compact}")

    def _remembered(self, tool: Tool, args: Mapping[str, Any]) -> bool:
        if tool.category != "shell":
            return self._key(tool, args) in self._keys
        if not self.prefix_approvals:
            return False
        try:
            commands = split_commands(str(args.get("command", "")))
        except CommandNotUnderstood:
            return False
        return bool(commands) and all(self._prefix_allowed(words) for words in commands)

    def _prefix_allowed(self, words: list[str]) -> bool:
        words = _strip_env(words)
        return any(words[: len(p.split())] == p.split() for p in self._prefixes)

    @staticmethod
    def _key(tool: Tool, args: Mapping[str, Any]) -> str:
        if tool.name == "scrape":
            return f"scrape:{_host(args)}"
        return tool.name


def _command_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"permission setting {key!r} must be a list of command prefixes, e.g. [\"pytest\"]")
    return [" ".join(str(v).split()) for v in value if str(v).strip()]
