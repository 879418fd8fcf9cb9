"""One workspace session per workspace folder: settings, agent, live session, idle timer.

Algorithm:
1. ``SessionManager`` holds the folders named at ``initialize`` (or added
   later), the settings layers (the user's: ``initializationOptions``, then
   the last ``didChangeConfiguration`` push; then each folder's
   ``workspace/configuration`` answer, reduced to ``FOLDER_SETTINGS`` - a
   user-only key it carries is ignored and logged once) and the one
   ``EventStore`` of the daemon (opened on first use: ``SILCROW_DB`` or the
   user data dir).
2. ``WorkspaceSession.agent()`` builds the folder's ``Agent`` on first use
   (importing agent, providers and tools only then, so ``initialize`` stays
   fast) on the provider ``provider_choice`` names (the rule every
   front-end shares, ``silcrow.providers.demo.choose_provider``: the
   configured provider, else the OFFLINE DEMO, worded for the client
   ``clientInfo.name`` names), with an ``EditorWorkspace`` (made, and its file index and watcher
   started in the background, when the folder is added), the folder's permission policy, the
   editor's permission prompt and stale-file notices. Shell commands run in
   the bubblewrap sandbox (network per the ``network`` permission, extra
   variables per ``shellEnv``); ``sandbox_status()`` probes for it once per
   daemon (started when the first folder is added) and, where there is
   none, tells the user once and turns prefix approvals off. The same agent (and so
   the same warm live session) serves every prompt of the folder until a
   setting it was built from changes and no turn is running.
3. ``settle()`` after each turn arms the idle timer: after ``idleTimeout``
   seconds without a turn the agent's live session is closed; the next
   prompt reopens it from the store (the agent decides how).
4. Each folder's MCP servers (``extensions.SessionMcp``) start when the
   folder is added, follow settings changes, outlive agent rebuilds and
   stop with the folder or the daemon; the agent gets their manager and the
   custom tools named in ``tools``. ``mcp_status``/``mcp_approve`` serve
   the editors' MCP requests.
5. ``pick(...)`` chooses the folder for a prompt: the explicit
   ``workspaceUri``, else the stored conversation's workspace, else the
   folder holding the first context URI, else the first folder. With no
   folder at all it raises ``NoWorkspace``: the daemon's current directory
   (often the user's home) is never taken as a workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from silcrow.lsp.contract import McpServerInfo
from silcrow.lsp.editor import Editor, uri_path
from silcrow.lsp.editor_workspace import EditorWorkspace
from silcrow.lsp.extensions import SessionMcp, custom_tools
from silcrow.lsp.settings import IssueReporter, Settings, folder_layer, merge, parse_settings
from silcrow.providers.vendors import scripted

if TYPE_CHECKING:
    from silcrow.agent import Agent
    from silcrow.providers.base import Provider
    from silcrow.providers.demo import FakeScriptJson, ProviderChoice
    from silcrow.store import EventStore
    from silcrow.tools.sandbox import SandboxStatus

log = logging.getLogger(__name__)


class UnknownWorkspace(ValueError):
    """``workspaceUri`` is not one of the daemon's workspace folders."""


class NoWorkspace(UnknownWorkspace):
    """The client named no workspace folder (or none that exists): there is nowhere to work."""


NO_WORKSPACE_MESSAGE = (
    "no workspace folder is open: open a folder in the editor (or run `silcrow chat "
    "--workspace DIR`); Silcrow only works inside a workspace folder the client names"
)


def provider_choice(settings: Settings, root: Path, client: str | None) -> ProviderChoice:
    """What the folder's agent runs: ``silcrow.providers.demo.choose_provider`` decides.

    The same rule as every front-end: the configured provider, else the
    offline demo; ``fakeScript`` is the scripted fake's replies (tests).
    """
    from silcrow.providers.demo import choose_provider

    fake = settings.fake_script
    script: FakeScriptJson | None = (
        {"replies": fake.replies, "chunk": fake.chunk, "delay": fake.delay}
        if fake is not None
        else None
    )
    return choose_provider(
        settings.provider, script=script, env=os.environ, root=root, client=client
    )


def build_provider(settings: Settings, choice: ProviderChoice) -> Provider:
    """The chosen provider; raises ``ProviderError`` (e.g. a missing key)."""
    from silcrow.providers.registry import make_provider

    if choice.demo:
        return make_provider(choice.name, extra=choice.extra)
    return make_provider(
        choice.name,
        model=settings.model or None,
        api_key_env=settings.api_key_env or None,
        base_url=settings.base_url or None,
        extra={**choice.extra, "responses_store": settings.responses_store},
    )


async def _warm_redaction() -> None:
    """Load the secret detector's rules in a thread (about 0.3 s) before a tool result needs them."""
    from silcrow.tools.redact import warm_up

    await asyncio.to_thread(warm_up)


@dataclass
class WorkspaceSession:
    uri: str
    root: Path
    manager: SessionManager
    settings: Settings = field(default_factory=Settings)
    folder_config: object = None  # the folder's last workspace/configuration answer
    running: int = 0
    _agent: Agent | None = None
    _agent_key: tuple[object, ...] | None = None
    _workspace: EditorWorkspace | None = None
    _idle: asyncio.TimerHandle | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    mcp: SessionMcp = field(init=False)

    def __post_init__(self) -> None:
        self.mcp = SessionMcp(self.root, self.manager.editor.show)

    async def agent(self) -> Agent:
        """The folder's agent, built (or rebuilt after a settings change) on demand."""
        async with self._lock:
            key = self.settings.agent_key()
            if self._agent is not None and (key == self._agent_key or self.running > 1):
                return self._agent
            old = self._agent
            self._agent = await self._build()
            self._agent_key = key
        if old is not None:
            await old.aclose()
        return self._agent

    async def _build(self) -> Agent:
        from silcrow.agent.workspace_agent import AgentOptions, workspace_agent

        settings = self.settings
        client = self.manager.editor.client_name
        choice = await asyncio.to_thread(provider_choice, settings, self.root, client)
        store = await self.manager.store()
        workspace = self.workspace()
        options = AgentOptions(
            permissions=settings.permissions.as_dict(),
            sandbox=(await self.manager.sandbox_status()).sandbox,
            network=settings.permissions.network == "allow",
            shell_env=tuple(settings.shell_env),
            mode=settings.mode,
            max_iterations=settings.max_iterations,
            # the scripted fake cannot answer profile requests; they would eat its replies
            profile=not scripted(choice.name),
        )
        return workspace_agent(
            # built by the agent: a failure is that turn's error
            lambda: build_provider(settings, choice),
            workspace,
            options,
            store=store,
            more_tools=lambda tools: custom_tools(
                settings.tools, {t.name for t in tools}, self.manager.editor.show
            ),
            mcp_servers=await self.mcp.sync(settings),
            ask=self.manager.editor.ask,
            notices=workspace.notices,
            workspace_id=self.uri,
            instructions=lambda: self.settings.instructions,
            models=lambda model: (
                None  # the scripted fake and the demo have one model; their replies go on
                if scripted(choice.name)
                else build_provider(replace(settings, model=model), choice)
            ),
        )

    def workspace(self) -> EditorWorkspace:
        if self._workspace is None:
            self._workspace = EditorWorkspace(self.root, self.manager.editor)
        return self._workspace

    def busy(self) -> None:
        self.running += 1
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def settle(self) -> None:
        self.running = max(0, self.running - 1)
        if self.running or self._agent is None or self.settings.idle_timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self.settings.idle_timeout, self._close_idle)

    def _close_idle(self) -> None:
        self._idle = None
        if self._agent is not None and not self.running:
            log.info("closing the idle live session of %s", self.uri)
            self.manager.spawn(self._agent.close_session())

    async def aclose(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        await self.mcp.aclose()
        if self._workspace is not None:
            await self._workspace.aclose()
        if self._agent is not None:
            with contextlib.suppress(Exception):
                await self._agent.aclose()


class SessionManager:
    def __init__(self, editor: Editor) -> None:
        self.editor = editor
        self.sessions: dict[str, WorkspaceSession] = {}
        self.init_options: Any = {}
        self.user_push: Any = {}
        self._ignored: set[str] = set()
        self.reporter = IssueReporter(editor.show)
        self._store: EventStore | None = None
        self._store_lock = asyncio.Lock()
        self.config_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sandbox: SandboxStatus | None = None
        self._sandbox_lock = asyncio.Lock()

    # -- folders and settings -------------------------------------------------
    def add_folder(self, uri: str) -> WorkspaceSession | None:
        root = uri_path(uri)
        if root is None or not root.is_dir():
            self.editor.log(f"Silcrow: ignoring workspace folder {uri}: not a local directory")
            return None
        session = self.sessions.get(uri)
        if session is None:
            session = WorkspaceSession(uri=uri, root=root.resolve(), manager=self)
            session.settings = self._settings(None)
            self.sessions[uri] = session
            with contextlib.suppress(RuntimeError):  # no loop: the first agent build probes
                asyncio.get_running_loop()
                self.spawn(self.sandbox_status())  # at start-up, so the notice comes early
                self.spawn(_warm_redaction())  # not on the first tool result
                self.spawn(session.mcp.sync(session.settings))  # servers start with the folder
                session.workspace().start()  # the file index builds in the background
        return session

    async def remove_folder(self, uri: str) -> None:
        session = self.sessions.pop(uri, None)
        if session is not None:
            await session.aclose()

    def _settings(self, folder_config: Any) -> Settings:
        user = merge(self.init_options, self.user_push)
        kept, dropped = folder_layer(folder_config)
        self._log_ignored(user, dropped)
        settings, issues = parse_settings(merge(user, kept))
        self.reporter.report(issues)
        return settings

    def _log_ignored(self, user: dict[str, Any], dropped: dict[str, Any]) -> None:
        """Say once per key that a folder tried to set a user-only setting (same value: silent)."""
        for key, value in dropped.items():
            if key in self._ignored or user.get(key) == value:
                continue
            self._ignored.add(key)
            self.editor.log(
                f"Silcrow: ignoring silcrow.{key} from a workspace folder's settings: it is "
                "user-only; set it in your user settings (VS Code) or setup() (Neovim)"
            )

    def configure(self, uri: str, folder_config: Any) -> None:
        """Apply a folder's ``workspace/configuration`` answer (only its ``FOLDER_SETTINGS``)."""
        session = self.sessions.get(uri)
        if session is not None:
            session.folder_config = folder_config
            session.settings = self._settings(folder_config)
            self.spawn(session.mcp.sync(session.settings))  # in order: the last one wins

    def configure_user(self, pushed: Any) -> None:
        """A ``didChangeConfiguration`` push: the user's settings, over ``initializationOptions``."""
        if isinstance(pushed, dict):
            self.user_push = pushed

    def reapply(self) -> None:
        """Re-apply the layers to every folder (after a push), keeping each folder's last answer."""
        for uri, session in self.sessions.items():
            self.configure(uri, session.folder_config)

    def settings_for(self, workspace_uri: str | None) -> Settings:
        """A folder's settings (the first folder's without a uri; the user's without folders)."""
        if workspace_uri:
            return self._named(workspace_uri).settings
        first = next(iter(self.sessions.values()), None)
        return first.settings if first is not None else self._settings(None)

    # -- choosing a folder ------------------------------------------------------
    def _named(self, workspace_uri: str) -> WorkspaceSession:
        found = self.sessions.get(workspace_uri)
        if found is None:
            raise UnknownWorkspace(
                f"workspaceUri {workspace_uri} is not a workspace folder of this daemon; "
                f"use one of: {', '.join(self.sessions) or '(none)'}"
            )
        return found

    def folder_of(self, path: Path) -> WorkspaceSession | None:
        best: WorkspaceSession | None = None
        for session in self.sessions.values():
            if path.is_relative_to(session.root) and (
                best is None or len(session.root.parts) > len(best.root.parts)
            ):
                best = session
        return best

    async def pick(
        self, workspace_uri: str | None, conversation_id: str | None, context: list[dict[str, Any]]
    ) -> WorkspaceSession:
        if workspace_uri:
            return self._named(workspace_uri)
        if conversation_id:
            conv = await (await self.store()).get_conversation(conversation_id)
            if conv is not None and conv.workspace in self.sessions:
                return self.sessions[conv.workspace]
        for item in context:
            path = uri_path(str(item.get("uri", "")))
            found = self.folder_of(path.resolve()) if path is not None else None
            if found is not None:
                return found
        if not self.sessions:
            raise NoWorkspace(NO_WORKSPACE_MESSAGE)
        return next(iter(self.sessions.values()))

    # -- MCP servers ------------------------------------------------------------
    async def mcp_status(self, uri: str | None) -> list[McpServerInfo]:
        chosen = [await self.pick(uri, None, [])] if uri else list(self.sessions.values())
        return [info for session in chosen for info in session.mcp.status(session.uri)]

    async def mcp_approve(self, uri: str | None, name: str) -> list[McpServerInfo]:
        """Approve workspace server ``name`` (of ``uri``, else of the folder that defines it)."""
        chosen = [await self.pick(uri, None, [])] if uri else list(self.sessions.values())
        for session in chosen:
            if session.mcp.manager is not None and any(
                s.name == name for s in session.mcp.manager.status()
            ):
                return [await session.mcp.approve(session.uri, name)]
        raise UnknownWorkspace(
            f"no workspace folder defines an MCP server named {name!r}; "
            "list them with silcrow/mcpServers"
        )

    async def known(self, conversation_id: str) -> bool:
        """Whether the store holds the conversation (ids come from the daemon only)."""
        return await (await self.store()).get_conversation(conversation_id) is not None

    # -- shared resources -------------------------------------------------------
    async def store(self) -> EventStore:
        async with self._store_lock:
            if self._store is None:
                from silcrow.store import EventStore

                self._store = await EventStore.open(None)
        return self._store

    async def sandbox_status(self) -> SandboxStatus:
        """Whether shell commands can be sandboxed: probed once; if not, the user is told once."""
        async with self._sandbox_lock:
            if self._sandbox is None:
                from silcrow.tools.sandbox import probe

                self._sandbox = await asyncio.to_thread(probe)
                if self._sandbox.sandbox is None:
                    from silcrow.agent.workspace_agent import unsandboxed_notice

                    message = unsandboxed_notice(self._sandbox.reason)
                    log.warning("%s", message)
                    self.editor.show(message)
        return self._sandbox

    def spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for session in list(self.sessions.values()):
            await session.aclose()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._store is not None:
            with contextlib.suppress(Exception):
                await self._store.close()
            self._store = None
