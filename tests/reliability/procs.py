"""A raw stdio JSON-RPC client for a ``silcrow serve`` process that a test may SIGKILL at any moment.

pytest-lsp owns its server process and expects an orderly shutdown; these
tests need the bytes on the wire and the process handle. ``RawDaemon`` is the
small client they use:

* ``await RawDaemon.spawn(db)`` starts ``silcrow serve`` on stdio with a
  private store (``SILCROW_DB``) and no inherited ``SILCROW_*`` variables;
* ``await d.initialize(folders, settings)`` sends ``initialize`` (settings go
  into ``initializationOptions``, provider ``fake`` by default) and
  ``initialized``;
* ``await d.request(method, params)`` returns the result or raises
  ``RpcError``; ``d.notify(...)`` sends a notification; ``d.write(raw)``
  sends arbitrary bytes (for malformed-frame tests); ``d.prompt_ids`` maps
  each ``silcrow/prompt``'s text to its request id (to cancel it by id);
* everything the daemon sends is kept: ``d.notifications`` (``{method,
  params}``), ``d.events`` (the ``silcrow/event`` params), ``d.requests``
  (server -> client requests, answered by ``answer_server_request``: a
  value is the answer at once, an awaitable is awaited in a task of its own
  and its value sent, or its ``RpcError`` sent as an error answer) and
  ``d.stderr``;
* ``d.kill()`` freezes the daemon (SIGSTOP), notes its descendants, SIGKILLs
  it, then SIGKILLs the process groups of those descendants (shell commands
  run in their own sessions and would otherwise outlive it);
  ``await d.close()`` is the orderly ``shutdown`` + ``exit``.

Two readers of the store on disk, for use while no daemon writes to it:
``integrity(db)`` (the result of ``PRAGMA integrity_check``) and
``stored_events(db)`` (every event in the ``silcrow/event`` shape, by
conversation then seq).

Frames are read with ``Content-Length`` headers only; a reply whose body is
not JSON is kept in ``d.garbage`` rather than raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silcrow.store.records import EVENT_COLUMNS, row_event
from support.rpc import frame

SERVE = [sys.executable, "-m", "silcrow.cli", "serve"]
# Answers to the server's requests that a plain client without extra capabilities gets.
ANSWERS: dict[str, Any] = {
    "workspace/applyEdit": {"applied": True},
    "window/showMessageRequest": {"title": "Allow once"},
    "silcrow/requestPermission": {"optionId": "allow_once"},
    "window/workDoneProgress/create": None,
}


class RpcError(Exception):
    """A JSON-RPC error response."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = str(error.get("message", ""))
        self.data = error.get("data")


def server_env(db: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
    env.update({"SILCROW_DB": str(db), **(extra or {})})
    return env


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (read from /proc), nearest first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` of the store: ``"ok"`` or SQLite's list of problems."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return "\n".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))


def stored_events(db: Path) -> list[dict[str, Any]]:
    """Every stored event as the JSON an editor receives, by conversation, then seq."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY conversation_id, seq")
        return [row_event(tuple(row)).to_json() for row in rows]


@dataclass
class RawDaemon:
    proc: asyncio.subprocess.Process
    notifications: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    garbage: list[bytes] = field(default_factory=list)
    stderr: bytearray = field(default_factory=bytearray)
    answer_server_request: Callable[[str, Any], Any] = lambda method, _params: ANSWERS.get(method)
    prompt_ids: dict[str, int] = field(
        default_factory=dict
    )  # request id of each prompt, by its text
    _pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    _next_id: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _answering: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    async def spawn(
        cls, db: Path, *, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> RawDaemon:
        proc = await asyncio.create_subprocess_exec(
            *SERVE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=server_env(db, env),
            cwd=cwd,
        )
        daemon = cls(proc)
        daemon._tasks = [
            asyncio.ensure_future(daemon._read_frames()),
            asyncio.ensure_future(daemon._read_stderr()),
        ]
        return daemon

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def events(self) -> list[dict[str, Any]]:
        return [n["params"] for n in self.notifications if n["method"] == "silcrow/event"]

    def texts(self, method: str) -> list[str]:
        """The ``message`` of every notification of ``method`` (e.g. ``window/logMessage``)."""
        return [
            str((n["params"] or {}).get("message", ""))
            for n in self.notifications
            if n["method"] == method
        ]

    async def initialize(
        self,
        folders: Iterable[Path],
        settings: dict[str, Any] | None = None,
        capabilities: dict[str, Any] | None = None,
    ) -> Any:
        roots = list(folders)
        result = await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": roots[0].as_uri() if roots else None,
                "workspaceFolders": [{"uri": r.as_uri(), "name": r.name} for r in roots],
                "initializationOptions": {"provider": "fake", **(settings or {})},
                "capabilities": capabilities or {},
            },
        )
        self.notify("initialized", {})
        return result

    # -- sending ---------------------------------------------------------------
    def write(self, raw: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(raw)

    def send(self, message: dict[str, Any]) -> None:
        params = message.get("params")
        if (
            message.get("method") == "silcrow/prompt"
            and "id" in message
            and isinstance(params, dict)
        ):
            self.prompt_ids[str(params.get("text"))] = message["id"]
        self.write(frame({"jsonrpc": "2.0", **message}))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    async def request(self, method: str, params: Any = None) -> Any:
        self._next_id += 1
        msg_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self.send({"id": msg_id, "method": method, "params": params})
        try:
            return await future
        finally:
            self._pending.pop(msg_id, None)

    # -- receiving ---------------------------------------------------------------
    async def _read_frames(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                length = None
                while (line := await stdout.readline()) not in (b"\r\n", b"\n"):
                    if not line:
                        return
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                self._dispatch(await stdout.readexactly(length))
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self._fail_pending()

    def _dispatch(self, body: bytes) -> None:
        try:
            message = json.loads(body)
        except ValueError:
            self.garbage.append(body)
            return
        if not isinstance(message, dict):
            self.garbage.append(body)
        elif "method" in message and "id" in message:
            self.requests.append(message)
            answer = self.answer_server_request(message["method"], message.get("params"))
            if inspect.isawaitable(answer):
                self._answering.add(
                    asyncio.ensure_future(self._answer_later(message["id"], answer))
                )
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                self.send({"id": message["id"], "result": answer})
        elif "method" in message:
            self.notifications.append(
                {"method": message["method"], "params": message.get("params")}
            )
        else:
            future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(RpcError(message["error"] or {}))
                else:
                    future.set_result(message.get("result"))

    async def _answer_later(self, msg_id: Any, answer: Awaitable[Any]) -> None:
        try:
            result: dict[str, Any] = {"result": await answer}
        except RpcError as exc:
            result = {"error": {"code": exc.code, "message": exc.message}}
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.send({"id": msg_id, **result})

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the daemon closed its stdout"))

    async def _read_stderr(self) -> None:
        stderr = self.proc.stderr
        assert stderr is not None
        while chunk := await stderr.read(65536):
            self.stderr += chunk

    # -- ending ----------------------------------------------------------------
    def kill(self) -> list[int]:
        """SIGKILL the daemon and the process groups of what it started; returns those pids."""
        if self.proc.returncode is not None:
            return []
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGSTOP)  # frozen: it cannot start anything more
        below = descendants(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        for pid in below:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return below

    async def wait(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109 - bounded wait for exit
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        for task in self._answering:  # an answer still pending goes nowhere now
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), timeout)
        return code

    async def close(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109 - bounded wait for exit
        """``shutdown`` + ``exit``; SIGKILL if the daemon does not go within ``timeout``."""
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.request("shutdown"), timeout)
                self.notify("exit")
                stdin = self.proc.stdin
                if stdin is not None:
                    stdin.close()
            try:
                return await self.wait(timeout)
            except TimeoutError:
                self.kill()
        return await self.wait(timeout)
