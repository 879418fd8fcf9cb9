"""The pygls server: protocol tweaks, transports (stdio, TCP), logging.

Algorithm:
1. ``SilcrowProtocol`` changes five things in pygls' LSP protocol: the
   lifecycle is answered as LSP says (a request before ``initialize`` gets
   ServerNotInitialized -32002, one after ``shutdown`` InvalidRequest
   -32600; pygls ran the first and never answered the second, and
   notifications in either state are dropped, except ``exit``); the
   daemon's own methods have typed params and results
   (``silcrow.lsp.contract``, through ``get_message_type`` /
   ``get_result_type``; bad params are an InvalidParams naming the field);
   ``workspace/executeCommand`` is an ``async`` handler (pygls' own is a
   generator whose inner command task a ``$/cancelRequest`` never reaches)
   that starts the turn and answers at once (``TurnRegistry.start``);
   and responses to requests already answered by the fast initialize path
   are dropped. ``SilcrowServer.report_server_error`` logs every error and
   shows only the first as a popup (pygls shows one per error).
2. ``create_server()`` builds a ``SilcrowServer`` with its ``Daemon`` and
   registers the handlers.
3. ``serve_stdio(pump)`` attaches the stdin pump (see ``silcrow.lsp.stdin``) to the
   event loop, runs until the daemon stops (EOF, ``exit``, dead parent,
   SIGTERM), then closes the daemon. Worker threads of tools are not waited
   for on the way out (``DetachedExecutor``): a cancelled call abandons its
   thread, which stops at its next deadline checkpoint or with the process.
4. ``serve_tcp(host, port)`` listens on a loopback address only, writes a
   token file and prints the token (``silcrow.lsp.tcpgate``); each
   connection goes through a ``Gate`` (the first bytes a ``Content-Length``
   header, the first frame a tokened ``initialize``, within
   ``AUTH_SECONDS``) and only then gets its own server; a dropped
   connection never reaches pygls. SIGTERM/SIGINT stop the listener and
   remove the token file.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from silcrow import __version__ as VERSION
from silcrow.lsp import contract, handlers
from silcrow.lsp.daemon import Daemon
from silcrow.lsp.dispatch import Dispatcher
from silcrow.lsp.stdin import StdinPump
from silcrow.lsp.tcpgate import (
    AUTH_SECONDS,
    Admitted,
    Dropped,
    Gate,
    TokenFile,
    loopback_host,
    new_token,
)

log = logging.getLogger(__name__)


class SilcrowProtocol(LanguageServerProtocol):
    _server: SilcrowServer

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self.preanswered: set[Any] = set()
        self.initialized = False  # an ``initialize`` request has been handled

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        request = method is not None and getattr(message, "id", None) is not None
        if method == t.EXIT or (method is None and not self._shutdown):
            super().handle_message(message)  # exit, or a response to one of our requests
            return
        refusal: JsonRpcException | None = None
        if self._shutdown:
            refusal = JsonRpcInvalidRequest(
                f"{method}: the server is shutting down (shutdown was received); "
                "only the exit notification is accepted now"
            )
        elif not self.initialized and method != t.INITIALIZE:
            refusal = JsonRpcServerNotInitialized(
                f"{method}: send initialize first; the server is not initialized yet"
            )
        if refusal is None:
            self.initialized = self.initialized or method == t.INITIALIZE
            super().handle_message(message)
        elif request:
            log.info("refused %s: %s", method, refusal.message)
            self._send_response(message.id, error=refusal.to_response_error())

    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        return contract.MESSAGE_TYPES.get(method) or super().get_message_type(method)

    def get_result_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        return contract.RESULT_TYPES.get(method) or super().get_result_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        method = data.get("method")
        if (
            isinstance(method, str)
            and method in contract.MESSAGE_TYPES
            and "id" in data
            and "jsonrpc" in data
        ):
            return contract.structure_request(data)  # InvalidParams that names the field
        if isinstance(method, str) and method in contract.NOTIFICATION_TYPES and "id" not in data:
            return contract.structure_notification(data)  # bad params logged, dropped
        return super().structure_message(data)

    @lsp_method(t.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(self, params: t.ExecuteCommandParams) -> Any:  # type: ignore[override]
        return await handlers.execute_command(self._server.daemon, params)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if msg_id in self.preanswered:
            self.preanswered.discard(msg_id)
            return
        super()._send_response(msg_id, result, error)


class SilcrowServer(LanguageServer):
    protocol: SilcrowProtocol

    def __init__(self) -> None:
        super().__init__("silcrow", VERSION, protocol_cls=SilcrowProtocol)
        self.daemon = Daemon(self)
        self._popped = False

    def report_server_error(self, error: Exception, source: Any) -> None:
        if isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError):
            # An answer the client was sent (busy, no workspace, bad params), not a fault.
            log.info("request refused (%s): %s", getattr(source, "__name__", source), error)
            return
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        if self._popped:
            return
        self._popped = True
        self.window_show_message(
            t.ShowMessageParams(
                type=t.MessageType.Error,
                message=f"Silcrow hit an internal error ({error}); details are in its log.",
            )
        )


def create_server() -> SilcrowServer:
    server = SilcrowServer()
    handlers.register(server, server.daemon)
    return server


class ClientLogHandler(logging.Handler):
    """Sends Silcrow's own warnings and errors to the client as window/logMessage."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__(logging.WARNING)
        self.server = server
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "on", False) or self.server.protocol.writer is None:
            return
        self._busy.on = True
        try:
            kind = t.MessageType.Error if record.levelno >= logging.ERROR else t.MessageType.Warning
            self.server.window_log_message(
                t.LogMessageParams(type=kind, message=self.format(record))
            )
        except Exception:
            pass
        finally:
            self._busy.on = False


def configure_logging() -> None:
    from silcrow.logs import configure_logging as to_stderr

    to_stderr("silcrow")


class DetachedExecutor(ThreadPoolExecutor):
    """The loop's default executor; shutting it down never waits for a running thread."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False, cancel_futures=True)


async def _run(server: SilcrowServer, attach: Any) -> int:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(DetachedExecutor(thread_name_prefix="silcrow-tool"))
    daemon = server.daemon
    dispatcher = Dispatcher(server.protocol, daemon.stop, _popup(server))
    attach(loop, dispatcher)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, daemon.stop, 0)
        except (NotImplementedError, RuntimeError):
            pass
    await daemon.stopped.wait()
    await daemon.close()
    return daemon.exit_code


def _popup(server: LanguageServer) -> Any:
    def show(message: str) -> None:
        server.window_show_message(t.ShowMessageParams(type=t.MessageType.Error, message=message))

    return show


def serve_stdio(pump: StdinPump | None = None, server: SilcrowServer | None = None) -> int:
    """Serve one client on stdin/stdout; returns the exit code."""
    from pygls.io_ import StdoutWriter

    server = server or create_server()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    logging.getLogger("silcrow").addHandler(ClientLogHandler(server))
    if pump is None:
        pump = StdinPump(sys.stdin.fileno())
        pump.start()
    return asyncio.run(_run(server, pump.attach))


async def _admit(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: Gate
) -> Admitted | None:
    """Read until the gate admits the connection; None (after any reply) when it is dropped."""
    peer = writer.get_extra_info("peername")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + AUTH_SECONDS
    while True:
        try:
            data = await asyncio.wait_for(reader.read(65536), max(0.0, deadline - loop.time()))
        except TimeoutError:
            log.warning(
                "dropped a TCP connection from %s: no tokened initialize within %ss",
                peer,
                AUTH_SECONDS,
            )
            return None
        if not data:
            return None
        verdict = gate.feed(data)
        if isinstance(verdict, Dropped):
            log.warning("dropped a TCP connection from %s: %s", peer, verdict.reason)
            if verdict.reply:
                writer.write(verdict.reply)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
            return None
        if verdict is not None:
            return verdict


async def _tcp_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str
) -> None:
    gate = Gate(token)
    try:
        admitted = await _admit(reader, writer, gate)
    except ConnectionError:
        admitted = None
    if admitted is None:
        writer.close()
        return
    server = create_server()
    server.protocol.set_writer(writer)
    daemon = server.daemon
    dispatcher = Dispatcher(server.protocol, daemon.stop, _popup(server))
    for item in admitted.items:
        dispatcher(item)

    async def pump() -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                for item in gate.parser.feed(data):
                    dispatcher(item)
        daemon.stop(0)

    task = asyncio.ensure_future(pump())
    await daemon.stopped.wait()
    task.cancel()
    await daemon.close()
    writer.close()


def _announce(host: str, port: int, token: TokenFile) -> None:
    """Tell the user (stderr) where the daemon listens and how clients authenticate."""
    for line in (
        f"listening on {host}:{port} (loopback only)",
        f"token: {token.token}",
        f"token file: {token.path} (readable only by you)",
        "clients send it as initializationOptions.token in their initialize request",
    ):
        print(f"silcrow: {line}", file=sys.stderr, flush=True)


async def _serve_tcp(host: str, port: int) -> None:
    asyncio.get_running_loop().set_default_executor(
        DetachedExecutor(thread_name_prefix="silcrow-tool")
    )
    token = new_token()
    listener = await asyncio.start_server(
        functools.partial(_tcp_connection, token=token), host, port
    )
    bound = listener.sockets[0].getsockname()
    token_file = TokenFile.create(token, bound[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        _announce(host, bound[1], token_file)
        async with listener:
            await stop.wait()
    finally:
        token_file.remove()


def serve_tcp(host: str, port: int) -> int:
    """Serve LSP clients on a loopback TCP port, one server per authenticated connection."""
    try:
        host = loopback_host(host)
    except ValueError as exc:
        print(f"silcrow: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        asyncio.run(_serve_tcp(host, port))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"silcrow: cannot serve on {host}:{port}: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0
