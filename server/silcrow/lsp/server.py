"""The pygls server: protocol tweaks, transports (stdio, TCP), logging.

Algorithm:
1. ``SilcrowProtocol`` changes three things in pygls' LSP protocol:
   ``workspace/executeCommand`` is an ``async`` handler (pygls' own is a
   generator whose inner command task a ``$/cancelRequest`` never reaches),
   so cancelling it cancels the turn exactly like ``silcrow/prompt``;
   responses to requests already answered by the fast initialize path are
   dropped; and ``report_server_error`` logs instead of one popup per error.
2. ``create_server()`` builds a ``SilcrowServer`` with its ``Daemon`` and
   registers the handlers.
3. ``serve_stdio(pump)`` attaches the stdin pump (see ``guards``) to the
   event loop, runs until the daemon stops (EOF, ``exit``, dead parent,
   SIGTERM), then closes the daemon. Worker threads of tools are not waited
   for on the way out (``DetachedExecutor``): a cancelled call abandons its
   thread, which stops at its next deadline checkpoint or with the process.
   ``serve_tcp`` gives each connection its own server and keeps listening.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from silcrow import __version__ as VERSION
from silcrow.lsp import handlers
from silcrow.lsp.daemon import Daemon
from silcrow.lsp.guards import Dispatcher, FrameParser, StdinPump

log = logging.getLogger(__name__)


class SilcrowProtocol(LanguageServerProtocol):
    _server: SilcrowServer

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self.preanswered: set[Any] = set()

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
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)
        if self._popped:
            return
        self._popped = True
        self.window_show_message(t.ShowMessageParams(
            type=t.MessageType.Error,
            message=f"Silcrow hit an internal error ({error}); details are in its log.",
        ))


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
            self.server.window_log_message(t.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:
            pass
        finally:
            self._busy.on = False


def configure_logging() -> None:
    level = os.environ.get("SILCROW_LOG", "warning").upper()
    logging.basicConfig(
        stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
        format="silcrow %(levelname)s %(name)s: %(message)s",
    )


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


async def _tcp_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    server = create_server()
    server.protocol.set_writer(writer)  # type: ignore[arg-type]
    daemon = server.daemon
    dispatcher = Dispatcher(server.protocol, daemon.stop, _popup(server))
    parser = FrameParser()

    async def pump() -> None:
        while data := await reader.read(65536):
            for item in parser.feed(data):
                dispatcher(item)
        daemon.stop(0)

    task = asyncio.ensure_future(pump())
    await daemon.stopped.wait()
    task.cancel()
    await daemon.close()
    writer.close()


async def _serve_tcp(host: str, port: int, ready: Any = None) -> None:
    listener = await asyncio.start_server(_tcp_connection, host, port)
    if ready is not None:
        ready(listener.sockets[0].getsockname())
    async with listener:
        await listener.serve_forever()


def serve_tcp(host: str, port: int) -> int:
    """Serve LSP clients on a TCP port, one server per connection, until interrupted."""
    try:
        asyncio.run(_serve_tcp(host, port, lambda addr: log.warning("listening on %s:%s", *addr[:2])))
    except KeyboardInterrupt:
        pass
    return 0
