"""The daemon's settings (section ``silcrow``): a fully-defaulted dataclass.

Algorithm:
1. ``parse_settings(raw)`` takes the client's JSON object (``initializationOptions``
   or a ``workspace/configuration`` answer; a nested ``silcrow`` key is
   unwrapped) and structures it field by field with cattrs, so one bad value
   never throws away the good ones.
2. Each field is converted with a strict converter (no silent ``"10" -> 10``)
   and then checked by its validator; a failure becomes a ``SettingIssue``
   naming the setting, what is wrong and the fix, and the default is kept.
3. ``merge(base, override)`` layers raw dicts (defaults < initializationOptions
   < user pushes < workspace/configuration). Only the ``FOLDER_SETTINGS`` may
   come from a folder's ``workspace/configuration`` answer:
   ``folder_layer(raw)`` drops every other key (permissions, provider,
   model, endpoints, tools, ...), which come from the user alone -
   ``initializationOptions`` and ``didChangeConfiguration`` pushes - since a
   folder's settings are files in the workspace the agent can write.
4. ``IssueReporter`` remembers what it has reported so each bad setting is
   shown to the user once, not on every configuration change.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Literal, get_type_hints

import cattrs

from silcrow.providers.vendors import CHOICES, scripted

Policy = Literal["allow", "ask", "deny"]
# The only settings a folder's ``workspace/configuration`` answer may set; every other
# one (permissions, provider, model, apiKeyEnv, baseUrl, live URLs, server, tools,
# mcpServers, shellEnv, and any setting added later) is user-only.
FOLDER_SETTINGS = frozenset({"mode", "streaming", "maxIterations", "idleTimeout", "fakeScript"})
PROVIDERS = CHOICES  # the vendor table's names (silcrow.providers.vendors)
FAKE_SCRIPT_ENV = "SILCROW_FAKE_SCRIPT"


@dataclass(frozen=True, slots=True)
class Permissions:
    read: Policy = "allow"
    edit: Policy = "allow"
    shell: Policy = "ask"
    network: Policy = "ask"
    memory: Policy = "allow"
    mcp: Policy = "ask"
    # MCP tools declaring readOnlyHint run without asking; servers/tools allowed always.
    mcp_read_only: bool = False
    allow_mcp: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class FakeScript:
    """Replies for the scripted fake provider (tests); without them ``fake`` is the offline demo."""

    replies: list[str] = field(default_factory=list)
    chunk: int = 4
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Settings:
    provider: str = "auto"
    model: str = ""
    mode: Literal["auto", "resume", "replay"] = "auto"
    api_key_env: str = ""
    base_url: str = ""
    streaming: Literal["token", "semantic"] = "token"
    permissions: Permissions = field(default_factory=Permissions)
    max_iterations: int = 10
    idle_timeout: float = 300.0
    fake_script: FakeScript | None = None
    # Names of extra environment variables shell commands may see (user scope only).
    shell_env: list[str] = field(default_factory=list)
    # OpenAI Responses WebSocket: ``store`` on the requests (docs/providers.md, privacy).
    responses_store: bool = True
    # MCP servers in the common shape {"name": {"command", "args", "env", "cwd"} | {"url",
    # "headers"}} (checked per server by silcrow.mcp.spec) and custom Python tools
    # ("package.module:ToolClass", silcrow.tools.loader): both name code to run, user scope only.
    mcp_servers: dict[str, Any] = field(default_factory=dict)
    tools: list[str] = field(default_factory=list)
    # The user's standing instructions, shown to the model with the project rules (user scope).
    instructions: str = ""

    def agent_key(self) -> tuple[Any, ...]:
        """What the agent is built from; a change means a new agent."""
        return (
            self.provider,
            self.model,
            self.mode,
            self.api_key_env,
            self.base_url,
            self.permissions,
            self.max_iterations,
            repr(self.fake_script),
            tuple(self.shell_env),
            self.responses_store,
            tuple(self.tools),
        )


@dataclass(frozen=True, slots=True)
class SettingIssue:
    name: str  # dotted wire name, e.g. "silcrow.permissions.shell"
    value: Any
    fix: str

    def message(self, default: Any) -> str:
        shown = json.dumps(self.value, default=str)
        return (
            f"Silcrow: setting {self.name} = {shown} is invalid: {self.fix}. "
            f"Using the default {json.dumps(default, default=str)}."
        )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _strict_converter() -> cattrs.Converter:
    conv = cattrs.Converter()

    def exact(kind: type, label: str) -> Callable[[Any, type], Any]:
        def hook(value: Any, _: type) -> Any:
            if isinstance(value, bool) and kind is not bool:
                raise TypeError(f"use {label}, not true/false")
            if kind is float and isinstance(value, int):
                return float(value)
            if not isinstance(value, kind):
                raise TypeError(f"use {label}")
            return value

        return hook

    conv.register_structure_hook(str, exact(str, "a string"))
    conv.register_structure_hook(int, exact(int, "a whole number"))
    conv.register_structure_hook(float, exact(float, "a number"))
    conv.register_structure_hook(bool, exact(bool, "true or false"))

    def strings(value: Any, _: type) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError('use a list of strings, e.g. ["JAVA_HOME"]')
        return list(value)

    conv.register_structure_hook_func(lambda tp: tp == list[str], strings)

    def json_object(value: Any, _: type) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise TypeError(
                'use an object, e.g. {"time": {"command": "uvx", "args": ["mcp-server-time"]}}'
            )
        return {str(k): v for k, v in value.items()}

    conv.register_structure_hook_func(lambda tp: tp == dict[str, Any], json_object)
    return conv


_CONVERTER = _strict_converter()


def _literal_fix(tp: Any) -> str | None:
    args = getattr(tp, "__args__", None)
    if getattr(tp, "__origin__", None) is Literal and args:
        return "use " + " or ".join(json.dumps(a) for a in args)
    return None


def _check_provider(value: str) -> str | None:
    if value in PROVIDERS or value.startswith(("http://", "https://")):
        return None
    return "use one of " + ", ".join(f'"{p}"' for p in PROVIDERS) + " or an http(s):// URL"


def _check_positive(value: float) -> str | None:
    return None if value >= 1 else "use a whole number of at least 1"


def _check_non_negative(value: float) -> str | None:
    return None if value >= 0 else "use a number of seconds, 0 or more"


def _check_env_names(value: list[str]) -> str | None:
    bad = [name for name in value if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
    return (
        f'{", ".join(map(repr, bad))} is not a variable name; use names like "JAVA_HOME"'
        if bad
        else None
    )


_VALIDATORS: dict[str, Callable[[Any], str | None]] = {
    "provider": _check_provider,
    "max_iterations": _check_positive,
    "idle_timeout": _check_non_negative,
    "shell_env": _check_env_names,
}


def _structure_fields(
    cls: type, raw: Mapping[str, Any], prefix: str, issues: list[SettingIssue]
) -> dict[str, Any]:
    """Structure each known field of ``cls`` from ``raw``; collect issues instead of raising."""
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        key = camel(f.name)
        if raw.get(key) is None:
            continue
        value, wire = raw[key], f"{prefix}.{key}"
        if f.name == "permissions":
            if isinstance(value, Mapping):
                values[f.name] = Permissions(**_structure_fields(Permissions, value, wire, issues))
            else:
                issues.append(SettingIssue(wire, value, 'use an object like {"shell": "ask"}'))
            continue
        if f.name == "fake_script":
            values[f.name] = _fake_script(value, wire, issues)
            continue
        try:
            converted = _CONVERTER.structure(value, hints[f.name])
        except Exception as exc:  # cattrs raises several types; all mean "bad value"
            issues.append(SettingIssue(wire, value, _literal_fix(hints[f.name]) or str(exc)))
            continue
        problem = _VALIDATORS.get(f.name, lambda _: None)(converted)
        if problem:
            issues.append(SettingIssue(wire, value, problem))
            continue
        values[f.name] = converted
    return values


def _fake_script(value: Any, wire: str, issues: list[SettingIssue]) -> FakeScript | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = {"replies": value}
    try:
        return _CONVERTER.structure(value, FakeScript)
    except Exception:
        issues.append(SettingIssue(wire, value, 'use {"replies": ["...", ...], "chunk": 4}'))
        return None


def _unwrap(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get("silcrow")
    return inner if isinstance(inner, Mapping) else raw


def parse_settings(raw: Any) -> tuple[Settings, list[SettingIssue]]:
    """Settings from a client's JSON object, plus what was wrong in it."""
    issues: list[SettingIssue] = []
    values = _structure_fields(Settings, _unwrap(raw), "silcrow", issues)
    settings = Settings(**values)
    forced = scripted(os.environ.get("SILCROW_PROVIDER", "").strip())  # the test switch wins
    if settings.fake_script is None and (forced or scripted(settings.provider)):
        settings = replace(settings, fake_script=fake_script_from_env(issues))
    return settings, issues


def fake_script_from_env(issues: list[SettingIssue]) -> FakeScript | None:
    """TEST ONLY: ``SILCROW_FAKE_SCRIPT`` as JSON, or ``@path`` to a JSON file."""
    from silcrow.providers.demo import script_from_env
    from silcrow.providers.errors import ConfigError

    try:
        value = script_from_env(os.environ)
    except ConfigError as exc:
        text = os.environ.get(FAKE_SCRIPT_ENV, "")
        issues.append(SettingIssue(FAKE_SCRIPT_ENV, text[:80], str(exc)))
        return None
    return None if value is None else _fake_script(value, FAKE_SCRIPT_ENV, issues)


def folder_layer(raw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A folder's ``workspace/configuration`` answer split into (kept, dropped user-only keys)."""
    inner = _unwrap(raw)
    kept = {k: v for k, v in inner.items() if k in FOLDER_SETTINGS}
    dropped = {k: v for k, v in inner.items() if k not in FOLDER_SETTINGS}
    return kept, dropped


def merge(*layers: Any) -> dict[str, Any]:
    """Later layers win; nested objects (``permissions``) merge key by key."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in _unwrap(layer).items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out


def default_of(name: str) -> Any:
    """The default value of a dotted wire name, for messages."""
    parts = name.split(".")[1:]
    cls: Any = Settings
    value: Any = None
    for part in parts:
        match = next((f for f in fields(cls) if camel(f.name) == part), None)
        if match is None:
            return None
        if match.default is not MISSING:
            value = match.default
        elif match.default_factory is not MISSING:
            value = match.default_factory()
        cls = type(value)
    return value


class IssueReporter:
    """Shows each bad setting once (per name and value)."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self._show = show
        self._seen: set[tuple[str, str]] = set()

    def report(self, issues: list[SettingIssue]) -> None:
        for issue in issues:
            key = (issue.name, json.dumps(issue.value, default=str, sort_keys=True))
            if key in self._seen:
                continue
            self._seen.add(key)
            self._show(issue.message(default_of(issue.name)))
