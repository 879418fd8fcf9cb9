"""MCP server definitions: the common JSON shape, parsed and checked.

Owns the typed form of one server's definition and where definitions come
from; nothing here starts a process or opens a connection.

Algorithm:
1. ``parse_servers(raw, origin)`` takes the common ``mcpServers`` object
   ``{"name": {"command", "args", "env", "cwd"}}`` (stdio) or
   ``{"name": {"url", "headers"}}`` (streamable HTTP); VS Code's ``type``
   key (``"stdio"``, ``"http"``) is accepted. Each entry becomes a
   ``StdioServer`` or ``HttpServer``; an entry that is wrong becomes a
   ``SpecIssue`` naming the server, what is wrong and the fix, and the other
   servers are kept.
2. Server names must fit ``[A-Za-z0-9_-]+`` without ``__``, because tools are
   offered to the model as ``mcp__<server>__<tool>``.
3. ``fingerprint()`` hashes everything that decides what runs (command,
   args, env, cwd; url, headers): an approval of a workspace server is for
   that exact definition, so a repository that changes it must be approved
   again.
4. ``load_config_file(path)`` reads a JSON file holding ``{"mcpServers":
   {...}}`` (Claude Code's ``.mcp.json``, ``silcrow chat --mcp-config``),
   ``{"servers": {...}}`` (VS Code's ``.vscode/mcp.json``) or the bare map.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Origin = Literal["user", "workspace"]
NAME = re.compile(r"[A-Za-z0-9_-]+")
EXAMPLE = '{"time": {"command": "uvx", "args": ["mcp-server-time"]}}'


class McpConfigError(ValueError):
    """An MCP configuration that cannot be used at all; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class SpecIssue:
    server: str  # the server's name ("" when the whole object is wrong)
    problem: str  # what is wrong and how to fix it

    def message(self, where: str = "mcpServers") -> str:
        at = f"{where}.{self.server}" if self.server else where
        return f"Silcrow: MCP setting {at} is invalid: {self.problem}"


@dataclass(frozen=True, slots=True)
class StdioServer:
    """A server Silcrow starts as a subprocess and talks to over stdin/stdout."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    origin: Origin = "user"
    source: str = ""  # the file it was read from (workspace servers), for messages

    def fingerprint(self) -> str:
        return _digest(["stdio", self.command, list(self.args), dict(self.env), self.cwd])

    def describe(self) -> str:
        return " ".join([self.command, *self.args])


@dataclass(frozen=True, slots=True)
class HttpServer:
    """A server reached over MCP's streamable HTTP transport."""

    name: str
    url: str
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may carry tokens
    origin: Origin = "user"
    source: str = ""

    def fingerprint(self) -> str:
        return _digest(["http", self.url, dict(self.headers)])

    def describe(self) -> str:
        return self.url


ServerSpec = StdioServer | HttpServer


def _digest(parts: list[object]) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise McpConfigError(f'"{what}" must be a list of strings, e.g. ["--port", "3000"]')
    return tuple(value)


def _pairs(value: object, what: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise McpConfigError(f'"{what}" must be an object of strings, e.g. {{"TOKEN": "..."}}')
    return tuple(sorted(value.items()))


def parse_server(name: str, entry: object, origin: Origin = "user", source: str = "") -> ServerSpec:
    """One definition, or ``McpConfigError`` saying what to change."""
    if not NAME.fullmatch(name) or "__" in name:
        raise McpConfigError(
            "a server name may use letters, digits, - and _ (not two _ in a row), e.g. "
            '"github"; tools are offered as mcp__<server>__<tool>'
        )
    if not isinstance(entry, Mapping):
        raise McpConfigError(f"each server is an object, e.g. {EXAMPLE}")
    kind = entry.get("type")
    if kind not in (None, "stdio", "http", "streamable-http", "streamableHttp"):
        raise McpConfigError(f'"type" is {kind!r}; use "stdio" or "http" (streamable HTTP)')
    if kind not in (None, "stdio") or ("url" in entry and kind is None):
        url = entry.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise McpConfigError('"url" must be an http(s):// address of the MCP endpoint')
        headers = _pairs(entry.get("headers", {}), "headers")
        return HttpServer(name, url, headers, origin=origin, source=source)
    command = entry.get("command")
    if not isinstance(command, str) or not command.strip():
        raise McpConfigError(
            f'give "command" (and "args") for a stdio server or "url" for an HTTP one, e.g. {EXAMPLE}'
        )
    cwd = entry.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise McpConfigError('"cwd" must be a directory path (a string)')
    return StdioServer(
        name,
        command,
        _strings(entry.get("args", []), "args"),
        _pairs(entry.get("env", {}), "env"),
        cwd,
        origin=origin,
        source=source,
    )


def parse_servers(
    raw: object, origin: Origin = "user", source: str = ""
) -> tuple[dict[str, ServerSpec], list[SpecIssue]]:
    """Every usable server of an ``mcpServers`` object, plus what was wrong with the others."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [SpecIssue("", f"use an object of servers, e.g. {EXAMPLE}")]
    servers: dict[str, ServerSpec] = {}
    issues: list[SpecIssue] = []
    for name, entry in raw.items():
        try:
            servers[str(name)] = parse_server(str(name), entry, origin, source)
        except McpConfigError as exc:
            issues.append(SpecIssue(str(name), str(exc)))
    return servers, issues


def servers_of(document: object) -> object:
    """The server map inside a config file's JSON (``mcpServers``, ``servers`` or bare)."""
    if isinstance(document, Mapping):
        for key in ("mcpServers", "servers"):
            if key in document:
                return document[key]
    return document


def load_config_file(
    path: Path, origin: Origin = "user"
) -> tuple[dict[str, ServerSpec], list[SpecIssue]]:
    """The servers of a JSON config file; ``McpConfigError`` if it cannot be read at all."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise McpConfigError(f"cannot read MCP config {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise McpConfigError(f"MCP config {path} is not valid JSON: {exc}") from exc
    return parse_servers(servers_of(document), origin, str(path))
