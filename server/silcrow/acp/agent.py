"""The ACP agent: ``initialize``, sessions, prompts and cancel, on Silcrow's turn engine.

``SilcrowAcpAgent`` implements the agent side of the Agent Client Protocol
(the SDK's ``acp.interfaces.Agent``); the SDK does the JSON-RPC framing.

Algorithm:
1. ``initialize`` answers protocol version 1 (``acp.PROTOCOL_VERSION``),
   ``loadSession: true``, embedded context in prompts (no images, no
   audio), no authentication methods, and keeps the client's capabilities
   (``fs.readTextFile``, ``fs.writeTextFile``, ``terminal``) for every
   session of the connection.
2. ``session/new {cwd, mcpServers}`` checks ``cwd`` (an absolute path to a
   folder), converts ``mcpServers`` (``mcpconfig``; the session's agent
   starts and stops them through ``silcrow.mcp``) and makes an
   ``AcpSession`` whose id is a new conversation id; the answer advertises
   the session modes (``modes``: agent, the current one, ask, plan;
   ``silcrow.acp.modes``). The store (``SILCROW_DB``
   or the user data dir) and the sandbox probe are opened once, on first use.
3. ``session/load {sessionId, cwd}`` finds the conversation in the store
   or among this process's sessions (``-32002`` with the id when there is
   none), replays it as
   ``session/update``s and only then answers; a session already open in
   this process is closed and made again. The answer's ``modes`` names the
   mode of the conversation's last prompt (of the session it replaces, if
   open in this process).
4. ``session/list`` lists the store's conversations (of ``cwd`` if given),
   newest first, with their titles.
5. ``session/prompt``, ``session/cancel`` and ``session/set_mode`` go to the
   session; an unknown session id is ``-32602`` naming it, and so is an
   unknown mode id (with the valid ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp import PROTOCOL_VERSION
from acp.interfaces import Client
from acp.schema import (
    AgentCapabilities,
    ClientCapabilities,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionCapabilities,
    SessionInfo,
    SessionListCapabilities,
    SetSessionModeResponse,
)

from silcrow import __version__
from silcrow.acp.clientfs import ClientAbilities
from silcrow.acp.content import PromptBlock
from silcrow.acp.errors import INTERNAL_ERROR, INVALID_PARAMS, NOT_FOUND, acp_error
from silcrow.acp.mcpconfig import AcpServer, McpConfigError, mcp_config
from silcrow.acp.modes import chat_mode, mode_state
from silcrow.acp.provider import AcpProviders
from silcrow.acp.session import AcpSession

if TYPE_CHECKING:
    from silcrow.store import EventStore
    from silcrow.tools.sandbox import Sandbox, SandboxStatus

log = logging.getLogger(__name__)

AGENT_INFO = Implementation(name="silcrow", title="Silcrow", version=__version__)


class SilcrowAcpAgent:
    def __init__(self, providers: AcpProviders | None = None) -> None:
        self.client: Client | None = None
        self.abilities = ClientAbilities()
        self.providers = providers or AcpProviders()
        self.sessions: dict[str, AcpSession] = {}
        self._store: EventStore | None = None
        self._sandbox: SandboxStatus | None = None
        self._notice: str | None = None
        self._lock = asyncio.Lock()

    def on_connect(self, conn: Client) -> None:
        self.client = conn

    # -- initialize ----------------------------------------------------------------
    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        client_info: Implementation | None = None,
        **kwargs: Any,
    ) -> InitializeResponse:
        self.abilities = ClientAbilities.of(client_capabilities)
        log.info(
            "ACP client %s (protocol %s): %s",
            client_info.name if client_info else "?",
            protocol_version,
            self.abilities,
        )
        return InitializeResponse(
            protocol_version=PROTOCOL_VERSION,
            agent_capabilities=AgentCapabilities(
                load_session=True,
                prompt_capabilities=PromptCapabilities(
                    image=False, audio=False, embedded_context=True
                ),
                mcp_capabilities=McpCapabilities(http=True, sse=False),
                session_capabilities=SessionCapabilities(list=SessionListCapabilities()),
            ),
            auth_methods=[],
            agent_info=AGENT_INFO,
        )

    async def authenticate(self, method_id: str, **kwargs: Any) -> None:
        raise acp_error(INVALID_PARAMS, f"Silcrow has no authentication method {method_id!r}")

    # -- sessions ------------------------------------------------------------------
    async def new_session(
        self, cwd: str, mcp_servers: list[AcpServer] | None = None, **kwargs: Any
    ) -> NewSessionResponse:
        session = await self._open(uuid.uuid4().hex, cwd, mcp_servers)
        return NewSessionResponse(session_id=session.id, modes=mode_state(session.mode))

    async def load_session(
        self, cwd: str, session_id: str, mcp_servers: list[AcpServer] | None = None, **kwargs: Any
    ) -> LoadSessionResponse:
        store = await self._shared_store()
        known = session_id in self.sessions  # new in this process, maybe not stored yet
        if not known and await store.get_conversation(session_id) is None:
            raise acp_error(
                NOT_FOUND,
                f"there is no stored session {session_id}; start a new one (session/new)",
                sessionId=session_id,
            )
        old = self.sessions.pop(session_id, None)
        if old is not None:
            await old.aclose()
        session = await self._open(session_id, cwd, mcp_servers)
        await session.replay(store)
        if old is not None:  # its mode may have been set after its last prompt (not stored)
            session.set_mode(old.mode)
        return LoadSessionResponse(modes=mode_state(session.mode))

    async def list_sessions(
        self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
    ) -> ListSessionsResponse:
        store = await self._shared_store()
        workspace = _root(cwd).as_uri() if cwd else None
        found = await store.list_conversations(workspace=workspace, limit=100)
        infos = [
            SessionInfo(
                session_id=conv.id,
                cwd=_cwd_of(conv.workspace) or (cwd or ""),
                title=conv.title or None,
                updated_at=_iso(conv.updated_at),
            )
            for conv in found
        ]
        return ListSessionsResponse(sessions=infos)

    async def prompt(
        self, session_id: str, prompt: list[PromptBlock], **kwargs: Any
    ) -> PromptResponse:
        return await self._session(session_id).prompt(prompt)

    async def set_session_mode(
        self, session_id: str, mode_id: str, **kwargs: Any
    ) -> SetSessionModeResponse:
        self._session(session_id).set_mode(chat_mode(mode_id))
        return SetSessionModeResponse()

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.cancel()

    # -- helpers -------------------------------------------------------------------
    def _session(self, session_id: str) -> AcpSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise acp_error(
                INVALID_PARAMS,
                f"unknown session {session_id}; create one with session/new or load it with "
                "session/load",
                sessionId=session_id,
            )
        return session

    async def _open(self, session_id: str, cwd: str, servers: list[AcpServer] | None) -> AcpSession:
        if self.client is None:
            raise acp_error(INTERNAL_ERROR, "the connection is not set up yet")
        root = _root(cwd)
        try:
            mcp = mcp_config(servers, str(root))
        except McpConfigError as exc:
            raise acp_error(INVALID_PARAMS, str(exc)) from None
        session = AcpSession(
            session_id,
            root,
            self.client,
            self.abilities,
            store=await self._shared_store(),
            provider=self.providers.factory(root),
            sandbox=await self._shared_sandbox(),
            mcp=mcp,
            profile=self.providers.learns(root),
        )
        if self._notice is not None:
            session.notice, self._notice = self._notice, None
        self.sessions[session_id] = session
        return session

    async def _shared_store(self) -> EventStore:
        async with self._lock:
            if self._store is None:
                from silcrow.store import EventStore

                self._store = await EventStore.open(None)
            return self._store

    async def _shared_sandbox(self) -> Sandbox | None:
        async with self._lock:
            if self._sandbox is None:
                from silcrow.agent.workspace_agent import unsandboxed_notice
                from silcrow.tools.sandbox import probe

                self._sandbox = await asyncio.to_thread(probe)
                if self._sandbox.sandbox is None and not self.abilities.terminal:
                    self._notice = unsandboxed_notice(self._sandbox.reason)
                    log.warning("%s", self._notice)
            return self._sandbox.sandbox

    async def aclose(self) -> None:
        for session in list(self.sessions.values()):
            with contextlib.suppress(Exception):
                await session.aclose()
        self.sessions.clear()
        if self._store is not None:
            with contextlib.suppress(Exception):
                await self._store.close()
            self._store = None


def _root(cwd: str) -> Path:
    path = Path(cwd)
    if not path.is_absolute():
        raise acp_error(INVALID_PARAMS, f"cwd must be an absolute path; got {cwd!r}")
    if not path.is_dir():
        raise acp_error(INVALID_PARAMS, f"cwd {cwd} is not a folder; open an existing folder")
    return path.resolve()


def _cwd_of(workspace: str) -> str | None:
    if workspace.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(workspace).path)
    return None


def _iso(timestamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).isoformat()
