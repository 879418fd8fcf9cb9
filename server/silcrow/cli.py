"""The ``silcrow`` console script: ``serve [--tcp HOST:PORT]``, ``chat``, ``acp``, ``models``,
``doctor``, ``--version``.

``models`` and ``doctor`` are ``silcrow.diagnostics``'s; ``acp`` is ``silcrow.acp``'s.

``--tcp`` takes a loopback address only (``127.0.0.1``, ``::1``,
``localhost``); anything else is refused before the daemon starts. The
token and the rules for TCP clients are ``silcrow.lsp.tcpgate``'s.

Start-up stays cheap: ``serve`` starts reading stdin (and answers
``initialize`` from ``silcrow.lsp.fastinit``) before pygls is imported;
the agent, providers and tools are imported on the first prompt.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence


def _host_port(text: str) -> tuple[str, int]:
    from silcrow.lsp.tcpgate import loopback_host

    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(
            f"--tcp takes HOST:PORT, e.g. 127.0.0.1:7070 (got {text!r})"
        )
    try:
        return loopback_host(host), int(port)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    from silcrow import __version__
    from silcrow.diagnostics import add_commands
    from silcrow.providers.vendors import choices_text

    root = argparse.ArgumentParser(
        prog="silcrow", description="Silcrow: a coding agent served over LSP"
    )
    root.add_argument("--version", action="version", version=f"silcrow {__version__}")
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument(
        "--tcp",
        type=_host_port,
        metavar="HOST:PORT",
        help="listen on a loopback TCP port instead of stdio; clients must send the printed token",
    )
    serve.add_argument("--stdio", action="store_true", help="stdio transport (the default)")
    chat = sub.add_parser("chat", help="chat in the terminal (starts the daemon over LSP)")
    chat.add_argument("--provider", help=choices_text())
    chat.add_argument("--model", help="model name (default: the provider's)")
    chat.add_argument("--mode", choices=("auto", "resume", "replay"), help="session mode")
    chat.add_argument("--once", metavar="QUESTION", help="ask one question, print the answer, exit")
    chat.add_argument(
        "--workspace", default=".", help="workspace folder (default: current directory)"
    )
    chat.add_argument(
        "--yes",
        action="store_true",
        help="allow every tool and accept every file change without asking",
    )
    chat.add_argument(
        "--mcp-config",
        metavar="FILE",
        help='MCP servers to use: a JSON file {"mcpServers": {"name": {"command": ...}}}',
    )
    add_commands(sub, choices_text())
    sub.add_parser(
        "acp",
        help="run as an Agent Client Protocol agent on stdio (Zed, JetBrains, Neovim, Emacs)",
    )
    return root


def serve(tcp: tuple[str, int] | None) -> int:
    from silcrow.lsp.stdin import EOF_EXIT_GRACE, StdinPump

    if tcp is not None:
        from silcrow.lsp.server import configure_logging, serve_tcp

        configure_logging()
        return serve_tcp(*tcp)
    from silcrow.lsp.fastinit import FastInit

    fast = FastInit(sys.stdout.buffer)
    pump = StdinPump(sys.stdin.fileno(), early=fast.answer, exit_after_eof=EOF_EXIT_GRACE)
    pump.start()
    from silcrow.lsp.server import configure_logging, create_server, serve_stdio

    configure_logging()
    server = create_server()
    server.protocol.preanswered = fast.answered
    return serve_stdio(pump, server)


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "serve":
        code = serve(args.tcp)
    elif args.command in ("models", "doctor"):
        from silcrow.diagnostics import run_doctor, run_models

        code = run_models(args) if args.command == "models" else run_doctor(args)
    elif args.command == "acp":
        from silcrow.acp import run_acp

        code = run_acp()
    else:
        from silcrow.chat import run_chat

        code = run_chat(args)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the client may have closed stdout on exit
            stream.flush()
    # Worker threads (the stdin reader, SQLite's) must not hold the exit up.
    os._exit(code)


if __name__ == "__main__":
    main()
