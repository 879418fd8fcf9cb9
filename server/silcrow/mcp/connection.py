"""One MCP server's life: connect, list tools, call, restart on crash, stop.

Owns the only use of the MCP SDK's client (``mcp.Client``); what leaves this
module is plain data (``ListedTool``, ``CallOutput``), never SDK types.

Algorithm:
1. ``start()`` runs ``_supervise`` in a task. Each attempt opens one
   ``mcp.Client`` (stdio: the command as a subprocess, cwd defaulting to the
   workspace root, environment = the SDK's safe defaults + the server's
   ``env``; HTTP: the URL with its ``headers``) with the ``initialize``
   handshake every published server speaks, lists the tools (all pages)
   and marks the server ``running``; ``ready`` is set after the first
   attempt either way, so a turn waiting for tool lists never waits for a
   restart.
2. While connected, a ``tools/list_changed`` notification re-lists the
   tools; a ping every ``PING_EVERY`` seconds notices a server that died
   while idle. A crash (process exit, transport error, failed ping) ends the
   attempt: after ``BACKOFF[i]`` seconds it is tried again; after
   ``len(BACKOFF)`` failures in a row the server is ``failed`` until
   ``restart()``. An attempt that stayed up ``STABLE_AFTER`` seconds resets
   the count. Each failure is reported once through ``on_notice``, naming
   the server.
3. ``call(tool, args)`` sends ``tools/call`` on the live client; a server
   that is not running, or that dies during the call, raises
   ``ServerUnavailable`` with the reason. Cancelling the caller cancels the
   request.
4. ``stop()`` ends the task; leaving the client's context closes stdin and
   terminates the process tree (the SDK's shutdown sequence).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from silcrow.mcp.spec import HttpServer, ServerSpec, StdioServer

if TYPE_CHECKING:
    from mcp import Client

log = logging.getLogger(__name__)

State = Literal["needs_approval", "starting", "running", "restarting", "failed", "stopped"]
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
STABLE_AFTER = 30.0
PING_EVERY = 5.0
LIST_PAGES = 50


class ServerUnavailable(RuntimeError):
    """The server is not running (or died during the call); the message says why."""


@dataclass(frozen=True, slots=True)
class ListedTool:
    """One tool as the server listed it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class Image:
    mime_type: str
    data: str  # base64, as sent


@dataclass(frozen=True, slots=True)
class CallOutput:
    """A ``tools/call`` result, flattened: text blocks, images, structured content."""

    texts: tuple[str, ...]
    images: tuple[Image, ...] = ()
    structured: object = None
    is_error: bool = False


def _listed(tool: Any) -> ListedTool:
    hint = getattr(tool.annotations, "read_only_hint", None) if tool.annotations else None
    return ListedTool(
        name=tool.name,
        description=(tool.description or tool.title or "").strip(),
        input_schema=dict(tool.input_schema or {}),
        read_only=hint is True,
    )


def _output(result: Any) -> CallOutput:
    texts: list[str] = []
    images: list[Image] = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
        elif kind == "image":
            images.append(Image(block.mime_type, block.data))
        elif kind == "resource_link":
            texts.append(f"[resource {block.uri}]")
        elif kind == "resource":
            inner = block.resource
            texts.append(getattr(inner, "text", None) or f"[resource {inner.uri}]")
        else:
            texts.append(f"[{kind or 'unknown'} content]")
    return CallOutput(tuple(texts), tuple(images), result.structured_content, bool(result.is_error))


class ServerConnection:
    """A supervised connection to one configured MCP server."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        root: Path | None = None,
        on_change: Callable[[], None] = lambda: None,
        on_notice: Callable[[str], None] = lambda _: None,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.spec = spec
        self.root = root
        self.on_change = on_change
        self.on_notice = on_notice
        self.backoff = backoff
        self.state: State = "stopped"
        self.detail = ""
        self.tools: list[ListedTool] = []
        self.ready = asyncio.Event()
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._relist = False  # tools/list_changed arrived
        self._lost = False  # a call saw the connection close
        self._wake: Any = None  # an anyio.Event set by either, made per attempt
        self._connected = False  # listed its tools at least once since start()

    # -- control -------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self.ready = asyncio.Event()
            self._set("starting", "")
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def restart(self) -> None:
        await self.stop()
        self.start()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._client = None
        self.tools = []
        self._set("stopped", "")
        self.ready.set()

    def _set(self, state: State, detail: str) -> None:
        changed = (state, detail) != (self.state, self.detail)
        self.state, self.detail = state, detail
        if changed:
            self.on_change()

    # -- calls ---------------------------------------------------------------
    async def call(self, tool: str, args: dict[str, Any]) -> CallOutput:
        client = self._client
        if client is None or self.state != "running":
            why = f": {self.detail}" if self.detail else ""
            raise ServerUnavailable(f"MCP server {self.spec.name!r} is {self.state}{why}")
        from mcp import MCPError

        try:
            result = await client.call_tool(tool, args)
        except MCPError as exc:
            if "closed" in str(exc).lower():
                self._lost = True
                if self._wake is not None:
                    self._wake.set()
                raise ServerUnavailable(
                    f"MCP server {self.spec.name!r} stopped during the call ({exc}); "
                    "it is being restarted"
                ) from exc
            raise ServerUnavailable(
                f"MCP server {self.spec.name!r} refused the call: {exc}"
            ) from exc
        return _output(result)

    # -- supervision ---------------------------------------------------------
    async def _supervise(self) -> None:
        failures = 0
        while True:
            began = time.monotonic()
            reason = await self._attempt()
            self._client = None
            self.tools = []
            if time.monotonic() - began >= STABLE_AFTER:
                failures = 0
            failures += 1
            if failures > len(self.backoff):
                self._set("failed", reason)
                self.on_notice(
                    f"MCP server {self.spec.name!r} failed {failures} times in a row and is "
                    f"not restarted: {reason}. Fix its definition and reload, or approve/restart it."
                )
                self.ready.set()
                return
            self._set("restarting", reason)
            if failures == 1:  # once per streak; the last failure says it gave up
                what = "stopped" if self._connected else "could not start"
                self.on_notice(
                    f"MCP server {self.spec.name!r} {what} ({reason}); its tools are "
                    "unavailable until it restarts."
                )
            self.ready.set()
            await asyncio.sleep(self.backoff[failures - 1])

    async def _attempt(self) -> str:
        """One connection, held until it fails; returns why it ended."""
        from mcp import Client

        import anyio

        self._relist = self._lost = False
        self._wake = anyio.Event()
        try:
            async with Client(
                self._target(), mode="legacy", cache=None, message_handler=self._on_message
            ) as client:
                await self._list(client)
                self._client = client
                self._connected = True
                self._set("running", "")
                self.ready.set()
                return await self._watch(client)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # any failure of the server means a restart
            return _reason(exc)

    async def _watch(self, client: Client) -> str:
        import anyio

        while True:
            with anyio.move_on_after(PING_EVERY):
                await self._wake.wait()
            self._wake = anyio.Event()
            if self._lost:
                return "the connection closed"
            if self._relist:
                self._relist = False
                await self._list(client)
                self.on_change()
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ping is deprecated for 2026 servers only
                await client.send_ping()

    async def _list(self, client: Client) -> None:
        tools: list[ListedTool] = []
        cursor: str | None = None
        for _ in range(LIST_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools += [_listed(t) for t in page.tools]
            cursor = page.next_cursor
            if not cursor:
                break
        self.tools = tools

    async def _on_message(self, message: Any) -> None:
        method = getattr(message, "method", "")
        if method == "notifications/tools/list_changed":
            self._relist = True
            self._wake.set()
        elif isinstance(message, Exception):
            log.warning("MCP server %s: %s", self.spec.name, message)

    def _target(self) -> Any:
        from mcp import StdioServerParameters

        spec = self.spec
        if isinstance(spec, StdioServer):
            cwd = Path(spec.cwd) if spec.cwd else self.root
            if cwd is not None and not cwd.is_absolute() and self.root is not None:
                cwd = self.root / cwd
            return StdioServerParameters(
                command=spec.command, args=list(spec.args), env=dict(spec.env) or None, cwd=cwd
            )
        assert isinstance(spec, HttpServer)
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        http = create_mcp_http_client(headers=dict(spec.headers) or None)
        return _OwnedHttp(streamable_http_client(spec.url, http_client=http), http)


class _OwnedHttp(contextlib.AbstractAsyncContextManager[Any]):
    """The streamable-HTTP transport plus the HTTP client it uses, closed together."""

    def __init__(self, transport: Any, http: Any) -> None:
        self._transport = transport
        self._http = http

    async def __aenter__(self) -> Any:
        await self._http.__aenter__()
        try:
            return await self._transport.__aenter__()
        except BaseException:
            await self._http.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._transport.__aexit__(*exc)
        finally:
            await self._http.__aexit__(None, None, None)


def _reason(exc: BaseException) -> str:
    """A one-line reason a person can act on, unwrapping task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
