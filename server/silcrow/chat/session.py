"""The chat session: the LSP client loop between a terminal and ``silcrow serve``.

Algorithm:
1. ``run_chat(args)`` asks ``silcrow.providers.demo.choose_provider`` what
   will run (the rule every front-end shares: the configured provider, else
   the OFFLINE DEMO) and prints ``banner``.
2. ``ChatSession.start`` spawns ``silcrow serve`` on stdio with pygls'
   client and initializes with the workspace folder (``--workspace``, the
   current directory by default), ``experimental.silcrow.permissions``,
   ``clientInfo.name`` ``silcrow-chat`` (so the demo's hint speaks of
   ``silcrow chat`` flags) and the flags given as ``initializationOptions``;
   the daemon makes the same choice.
3. ``silcrow/event`` notifications go to ``render.Renderer`` as they
   stream. Permission requests are asked on the terminal (or rejected when
   stdin is not a terminal, unless ``--yes``); their summary is escaped
   like every daemon text.
4. Ctrl-C during a turn sends ``silcrow/cancel``; a second Ctrl-C (or one at
   the prompt) exits. ``/new`` (``/clear`` also clears the screen),
   ``/history``, ``/resume N``, ``/mcp`` (``chat.mcp``: servers, ``/mcp
   approve NAME``), ``/quit``; ``/ask``, ``/plan``, ``/agent``, ``/model``
   and ``@path`` mentions are ``chat.context``'s; anything else prints the
   commands (``/help``).
   ``--mcp-config FILE`` adds its servers to the settings.
   ``--once QUESTION`` asks one question and exits (0 when the turn ended
   normally).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from silcrow.chat.context import HELP, ChatOptions, mentions
from silcrow.chat.mcp import McpConfigFileError, config_servers, mcp_command
from silcrow.chat.render import Renderer
from silcrow.lsp.plain import as_plain as plain
from silcrow.providers.demo import CHAT_CLIENT, DEMO_LABEL, ProviderChoice, choose_provider
from silcrow.tools.visible import terminal_safe


async def ask_permission(params: dict[str, Any], allow_all: bool) -> dict[str, str]:
    """A ``silcrow/requestPermission`` answer: asked on the terminal, else rejected (or allowed with ``--yes``)."""
    summary = terminal_safe(str(params.get("summary")), keep_newlines=False)
    if allow_all:
        return {"optionId": "allow_once"}
    if not sys.stdin.isatty():
        print(f"\n[rejected, not a terminal: {summary}]", flush=True)
        return {"optionId": "reject"}
    offered = {str(o.get("optionId")) for o in params.get("options") or [] if isinstance(o, dict)}
    server = "allow_server" in offered
    prompt = f"\nAllow? {summary}  [o]nce / [a]lways{' / [s]erver' if server else ''} / [r]eject: "
    answer = (await asyncio.to_thread(input, prompt)).strip().lower()
    keys = {"o": "allow_once", "a": "allow_always", **({"s": "allow_server"} if server else {})}
    return {"optionId": keys.get(answer[:1], "reject")}


class ChatSession:
    """One daemon, one terminal: send prompts, render events, handle Ctrl-C."""

    def __init__(self, args: argparse.Namespace) -> None:
        from pygls.lsp.client import LanguageClient

        self.args = args
        self.root = Path(args.workspace).resolve()
        self.client = LanguageClient(CHAT_CLIENT, "0.1.0")
        self.render = Renderer()
        self.conversation: str | None = None
        self.listed: list[dict[str, Any]] = []
        self.options = ChatOptions()  # chat mode and model (chat.context)
        self.turn: asyncio.Future[Any] | None = None
        self.cancelling = False
        self.quit = asyncio.Event()
        self._drain: asyncio.Future[None] | None = None
        config = getattr(args, "mcp_config", None)
        self.mcp_servers = config_servers(Path(config)) if config else {}
        self._wire()

    def _wire(self) -> None:
        @self.client.feature("silcrow/event")  # type: ignore[untyped-decorator]  # pygls client API is untyped
        def on_event(params: Any) -> None:
            self.render.event(plain(params))

        @self.client.feature("silcrow/requestPermission")  # type: ignore[untyped-decorator]  # pygls client API is untyped
        async def on_permission(params: Any) -> dict[str, str]:
            return await ask_permission(plain(params), self.args.yes)

        @self.client.feature("window/showMessage")  # type: ignore[untyped-decorator]  # pygls client API is untyped
        def on_message(params: Any) -> None:
            self.render.notice(str(getattr(params, "message", "")))

        @self.client.feature("window/logMessage")  # type: ignore[untyped-decorator]  # pygls client API is untyped
        def on_log(params: Any) -> None:
            """The daemon's log lines are for editors' output panels; the terminal skips them."""

    def settings(self) -> dict[str, Any]:
        """The flags given; without ``--provider`` the daemon chooses (a key, else the demo)."""
        out: dict[str, Any] = {"provider": self.args.provider} if self.args.provider else {}
        if self.mcp_servers:
            out["mcpServers"] = self.mcp_servers
        if self.args.model:
            out["model"] = self.args.model
        if self.args.mode:
            out["mode"] = self.args.mode
        return out

    async def start(self) -> None:
        from lsprotocol import types as t

        await self.client.start_io(sys.executable, "-m", "silcrow.cli", "serve", cwd=str(self.root))
        server = self.client._server
        if server is not None and server.stderr is not None:
            self._drain = asyncio.ensure_future(_drain(server.stderr))
        caps = t.ClientCapabilities(experimental={"silcrow": {"permissions": True}})
        await self.client.initialize_async(
            t.InitializeParams(
                capabilities=caps,
                client_info=t.ClientInfo(name=CHAT_CLIENT, version="0.1.0"),
                process_id=os.getpid(),
                root_uri=self.root.as_uri(),
                workspace_folders=[t.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)],
                initialization_options=self.settings(),
            )
        )
        self.client.initialized(t.InitializedParams())

    async def ask(self, text: str) -> str:
        params: dict[str, Any] = {"text": text, "chunks": True, **self.options.params()}
        if self.conversation:
            params["conversationId"] = self.conversation
        items, skipped = mentions(text, self.root)
        for note in skipped:
            print(f"[not attached: {terminal_safe(note)}]")
        if items:
            params["context"] = items
        self.cancelling = False
        self.turn = asyncio.wrap_future(self.client.protocol.send_request("silcrow/prompt", params))
        try:
            result = plain(await self.turn)
        finally:
            self.turn = None
        self.conversation = result.get("conversationId")
        return str(result.get("stopReason", "error"))

    def interrupt(self) -> None:
        """Ctrl-C: cancel the running turn; a second one (or one when idle) quits."""
        if self.turn is not None and not self.cancelling and self.conversation is not None:
            self.cancelling = True
            print("\n[cancelling: press Ctrl-C again to quit]", flush=True)
            self.client.protocol.send_request(
                "silcrow/cancel", {"conversationId": self.conversation}
            )
            return
        if self.turn is not None and not self.cancelling:
            self.cancelling = True  # the first event has not named the conversation yet
            return
        self.quit.set()
        if self.turn is not None:
            self.turn.cancel()

    async def command(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "/quit":
            self.quit.set()
        elif word in ("/new", "/clear"):
            self.conversation = None
            print(
                ("\033[2J\033[H" if word == "/clear" and sys.stdout.isatty() else "")
                + "[new conversation]"
            )
        elif word == "/history":
            found = plain(
                await self.client.protocol.send_request_async(
                    "silcrow/conversations", {"limit": 20}
                )
            )
            self.listed = list(found.get("conversations", []))
            for n, conv in enumerate(self.listed, 1):
                title = terminal_safe(str(conv["title"] or "(untitled)"), keep_newlines=False)
                print(f"{n:3}. {title}  [{terminal_safe(str(conv['id'])[:8])}]")
            if not self.listed:
                print("[no conversations yet]")
        elif word == "/resume" and rest.strip().isdigit() and 0 < int(rest) <= len(self.listed):
            await self.resume(self.listed[int(rest) - 1]["id"])
        elif word == "/mcp":
            await mcp_command(self._request, rest)
        else:
            handled, question = await self.options.command(word, rest, self._request)
            if question:
                await self.ask_safely(question)
            elif not handled:
                print(HELP)

    async def _request(self, method: str, params: dict[str, Any]) -> Any:
        try:
            return plain(await self.client.protocol.send_request_async(method, params))
        except Exception as exc:  # a JSON-RPC error from the daemon, e.g. an unknown server
            print(f"[error: {terminal_safe(str(exc))}]")
            return {}

    async def resume(self, conversation_id: str) -> None:
        found = plain(
            await self.client.protocol.send_request_async(
                "silcrow/history", {"conversationId": conversation_id}
            )
        )
        for ev in found.get("events", []):
            if ev["type"] == "user" and not (ev.get("payload") or {}).get("notice"):
                print(f"\n> {terminal_safe(str(ev['content']))}")
            else:
                self.render.event(ev)
        self.conversation = conversation_id

    async def repl(self) -> None:
        while not self.quit.is_set():
            try:
                line = (await asyncio.to_thread(input, "\n> ")).strip()
            except EOFError:
                return
            if not line:
                continue
            if line.startswith("/"):
                await self.command(line)
            else:
                await self.ask_safely(line)

    async def ask_safely(self, text: str) -> str:
        try:
            return await self.ask(text)
        except asyncio.CancelledError:
            return "cancelled"
        except Exception as exc:  # a JSON-RPC error from the daemon
            print(f"\n[error: {terminal_safe(str(exc))}]", flush=True)
            return "error"

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 5)
            self.client.exit(None)
        except Exception:
            pass
        await self.client.stop()  # type: ignore[no-untyped-call]


async def _drain(stream: asyncio.StreamReader) -> None:
    show = bool(os.environ.get("SILCROW_LOG"))
    while line := await stream.readline():
        if show:
            sys.stderr.write(line.decode("utf-8", "replace"))


def banner(choice: ProviderChoice) -> str:
    """The first line of a chat: the demo's label and how to leave it, or the provider's name."""
    if choice.demo:
        return (
            f"=== Silcrow {DEMO_LABEL}: no provider configured and no API key found; "
            f"replies are scripted (tool calls are real). ===\n{choice.hint}"
        )
    return (
        f"Silcrow chat ({choice.name}). Ctrl-C cancels a turn, /quit exits, /help lists commands."
    )


async def _main(args: argparse.Namespace) -> int:
    try:
        chat = ChatSession(args)
    except McpConfigFileError as exc:
        print(f"silcrow chat: {exc}", file=sys.stderr)
        return 2
    await chat.start()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, chat.interrupt)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        if args.once is not None:
            print(f"> {terminal_safe(args.once)}", flush=True)
            return 0 if await chat.ask_safely(args.once) == "end" else 1
        await chat.repl()
        return 0
    finally:
        await chat.close()


def run_chat(args: argparse.Namespace) -> int:
    root = Path(args.workspace).resolve()
    choice = choose_provider(args.provider, env=os.environ, root=root, client=CHAT_CLIENT)
    print(banner(choice), flush=True)
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 130
