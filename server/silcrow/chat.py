"""``silcrow chat``: a terminal client that speaks LSP to ``silcrow serve``, as an editor does.

Algorithm:
1. Choose the provider: ``--provider``, else ``SILCROW_PROVIDER``, else the
   first vendor whose API key is in the environment; with none, an OFFLINE
   DEMO on the bundled scripted fake provider (think, a real ``read`` of a
   workspace file, respond), and print how to configure a real provider.
2. Spawn ``silcrow serve`` on stdio with pygls' client, initialize with the
   current directory as the workspace and ``experimental.silcrow.permissions``.
3. Render ``silcrow/event`` notifications as they stream: think dimmed,
   respond as plain text, tool calls and their outcomes on their own lines,
   errors in red. Text from the daemon (model replies, tool arguments and
   outcomes, approval questions, titles, errors) goes through
   ``visible.terminal_safe`` first: ESC, CR, BEL and other control or
   invisible characters are printed escaped (``\x1b``), never raw; only
   the client's own colour codes reach the terminal. Permission requests are
   asked on the terminal (or rejected when stdin is not a terminal, unless
   ``--yes``).
4. Ctrl-C during a turn sends ``silcrow/cancel``; a second Ctrl-C (or one at
   the prompt) exits. ``/new``, ``/history``, ``/resume N``, ``/quit``.
   ``--once QUESTION`` asks one question and exits (0 when the turn ended
   normally).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from silcrow.tools.visible import terminal_safe

KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
            "gemini": "GEMINI_API_KEY", "google": "GOOGLE_API_KEY"}
DIM, RED, BOLD, RESET = "\x1b[2m", "\x1b[31m", "\x1b[1m", "\x1b[0m"
DEMO_FILES = ("README.md", "pyproject.toml", "package.json", "setup.py")
HOW_TO_CONFIGURE = (
    "To use a real model, set an API key and run again:\n"
    "  export OPENAI_API_KEY=...      (or ANTHROPIC_API_KEY, GEMINI_API_KEY)\n"
    "  silcrow chat --provider openai --model gpt-5-mini\n"
    "or a local OpenAI-compatible server: silcrow chat --provider ollama"
)


def choose_provider(requested: str | None, env: dict[str, str]) -> str | None:
    """The provider to use, or None for the offline demo."""
    if requested:
        return requested
    if env.get("SILCROW_PROVIDER"):
        return env["SILCROW_PROVIDER"]
    for vendor, var in KEY_VARS.items():
        if env.get(var):
            return "gemini" if vendor == "google" else vendor
    return None


def demo_file(root: Path) -> str | None:
    for name in DEMO_FILES:
        if (root / name).is_file():
            return name
    files = sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    return files[0] if files else None


def demo_script(root: Path) -> dict[str, Any]:
    """Scripted replies for the offline demo: think, a real read, then respond."""
    name = demo_file(root)
    if name is None:
        answer = ("§respond: This is Silcrow's OFFLINE DEMO (scripted replies). "
                  "Put a file in this folder and I will read it with a real tool call.\n§end\n")
        return {"replies": [answer] * 20, "chunk": 3, "delay": 0.01}
    call = json.dumps({"name": "read", "args": {"file": name, "end": 20}})
    first = (f"§think: This is the offline demo, so my replies are scripted; the tool call is "
             f"real. Let me read {name}.\n§call: {call}\n§execute\n")
    second = (f"§think: The daemon read {name} from the workspace and gave me its lines.\n"
              f"§respond: That was a real `read` of {name} through the daemon, shown above. "
              f"The words you are reading now are scripted: this is the OFFLINE DEMO.\n§end\n")
    return {"replies": [first, second] * 10, "chunk": 3, "delay": 0.01}


class Renderer:
    """Turns ``silcrow/event`` params into terminal output."""

    def __init__(self, out: Any = None, color: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.color = self.out.isatty() if color is None else color
        self._last: str | None = None

    def _style(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def _switch(self, kind: str) -> None:
        if self._last is not None and self._last != kind:
            self.out.write("\n")
        self._last = kind

    def event(self, ev: dict[str, Any]) -> None:
        kind, content = ev.get("type"), terminal_safe(str(ev.get("content") or ""))
        payload = ev.get("payload") or {}
        if kind == "think":
            self._switch("think")
            self.out.write(self._style(DIM, content))
        elif kind == "respond":
            self._switch("respond")
            self.out.write(content)
        elif kind == "call":
            self._switch("call")
            args = json.dumps(payload.get("args", {}), ensure_ascii=False)
            line = terminal_safe(f"→ {payload.get('name', '?')} {args}", keep_newlines=False)
            self.out.write(self._style(BOLD, line[:200]))
        elif kind == "result":
            self._switch("result")
            mark = self._style(RED, "✗") if payload.get("error") else "✓"
            self.out.write(f"{mark} {terminal_safe(str(payload.get('outcome', '')), keep_newlines=False)}")
        elif kind in ("error", "cancelled"):
            self._switch(kind)
            self.out.write(self._style(RED, content or kind))
        if kind in ("end", "error", "cancelled"):
            self._last = None
            self.out.write("\n")
        self.out.flush()


async def ask_permission(params: dict[str, Any], allow_all: bool) -> dict[str, str]:
    summary = terminal_safe(str(params.get("summary")), keep_newlines=False)
    if allow_all:
        return {"optionId": "allow_once"}
    if not sys.stdin.isatty():
        print(f"\n[rejected, not a terminal: {summary}]", flush=True)
        return {"optionId": "reject"}
    prompt = f"\nAllow? {summary}  [o]nce / [a]lways / [r]eject: "
    answer = (await asyncio.to_thread(input, prompt)).strip().lower()
    return {"optionId": {"o": "allow_once", "a": "allow_always"}.get(answer[:1], "reject")}


def plain(value: Any) -> Any:
    """pygls hands custom params over as namedtuples; make them plain dicts and lists."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class ChatSession:
    """One daemon, one terminal: send prompts, render events, handle Ctrl-C."""

    def __init__(self, args: argparse.Namespace, provider: str | None) -> None:
        from pygls.lsp.client import LanguageClient

        self.args = args
        self.root = Path(args.workspace).resolve()
        self.provider = provider
        self.client = LanguageClient("silcrow-chat", "0.1.0")
        self.render = Renderer()
        self.conversation: str | None = None
        self.listed: list[dict[str, Any]] = []
        self.turn: asyncio.Future[Any] | None = None
        self.cancelling = False
        self.quit = asyncio.Event()
        self._drain: asyncio.Future[None] | None = None
        self._wire()

    def _wire(self) -> None:
        @self.client.feature("silcrow/event")
        def on_event(params: Any) -> None:
            self.render.event(plain(params))

        @self.client.feature("silcrow/requestPermission")
        async def on_permission(params: Any) -> dict[str, str]:
            return await ask_permission(plain(params), self.args.yes)

    def settings(self) -> dict[str, Any]:
        if self.provider is None:
            return {"provider": "fake", "fakeScript": demo_script(self.root)}
        out: dict[str, Any] = {"provider": self.provider}
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
        await self.client.initialize_async(t.InitializeParams(
            capabilities=caps, process_id=os.getpid(), root_uri=self.root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)],
            initialization_options=self.settings(),
        ))
        self.client.initialized(t.InitializedParams())

    async def ask(self, text: str) -> str:
        params: dict[str, Any] = {"text": text, "chunks": True}
        if self.conversation:
            params["conversationId"] = self.conversation
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
            self.client.protocol.send_request("silcrow/cancel", {"conversationId": self.conversation})
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
        elif word == "/new":
            self.conversation = None
            print("[new conversation]")
        elif word == "/history":
            found = plain(await self.client.protocol.send_request_async(
                "silcrow/conversations", {"limit": 20}))
            self.listed = list(found.get("conversations", []))
            for n, conv in enumerate(self.listed, 1):
                title = terminal_safe(str(conv["title"] or "(untitled)"), keep_newlines=False)
                print(f"{n:3}. {title}  [{terminal_safe(str(conv['id'])[:8])}]")
            if not self.listed:
                print("[no conversations yet]")
        elif word == "/resume" and rest.strip().isdigit() and 0 < int(rest) <= len(self.listed):
            await self.resume(self.listed[int(rest) - 1]["id"])
        else:
            print("commands: /new  /history  /resume N  /quit")

    async def resume(self, conversation_id: str) -> None:
        found = plain(await self.client.protocol.send_request_async(
            "silcrow/history", {"conversationId": conversation_id}))
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
        await self.client.stop()


async def _drain(stream: asyncio.StreamReader) -> None:
    show = bool(os.environ.get("SILCROW_LOG"))
    while line := await stream.readline():
        if show:
            sys.stderr.write(line.decode("utf-8", "replace"))


def banner(provider: str | None) -> str:
    if provider is None:
        return ("=== Silcrow OFFLINE DEMO: no provider configured and no API key found; "
                "replies are scripted (tool calls are real). ===\n" + HOW_TO_CONFIGURE)
    return f"Silcrow chat ({provider}). Ctrl-C cancels a turn, /quit exits, /help lists commands."


async def _main(args: argparse.Namespace) -> int:
    provider = choose_provider(args.provider, dict(os.environ))
    chat = ChatSession(args, provider)
    print(banner(provider), flush=True)
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
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 130
