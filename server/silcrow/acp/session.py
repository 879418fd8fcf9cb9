"""One ACP session: a Silcrow conversation in a workspace, and its turns.

The session id is the conversation id in the event store, so a session
outlives the process: ``session/load`` after a restart finds it there.

Algorithm:
1. ``AcpSession`` builds the session's agent with the shared
   ``workspace_agent`` (the same policy, tools and sandbox as the daemon,
   plus the session's MCP servers) on a ``ClientWorkspace`` (the client's files and terminal where it
   offers them), asking permissions through ``PermissionAsker``.
2. ``prompt(blocks)`` refuses a second prompt while one runs (the session
   does not queue), turns the blocks into the turn's text and context
   (``content.turn_input``) and starts the turn on the one turn engine
   (``Agent.start`` -> ``TurnHandle``). Every event of the handle (already
   stored) becomes its ``session/update``s (``EventView``), each sent and
   awaited in order, so nothing is shown that is not stored and nothing is
   sent after the prompt's response. A notice waiting for the session
   (no sandbox) goes out first, once.
3. The prompt answers ``{stopReason}`` (``content.stop_reason``); a turn
   that ended in an error answers a JSON-RPC error carrying its message.
4. ``cancel()`` (``session/cancel``) cancels the turn through its handle:
   the model stream and running tools stop (a local command's process group
   is killed, a client terminal is killed), the turn stores ``cancelled``
   and the prompt answers ``cancelled``. The SDK cancels the prompt's own
   task only when the connection closes: then the turn is cancelled, its
   end stored, and no answer is sent (there is nobody to read it).
5. ``replay()`` sends the stored conversation as updates (``session/load``)
   and takes up the chat mode of its last prompt (stored with the ``user``
   event), so a loaded session keeps its mode.
6. ``set_mode()`` (``session/set_mode``) sets the chat mode of the later
   prompts (``agent``, ``ask``, ``plan``: ``silcrow.acp.modes``); a prompt
   already running keeps the mode it started with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from acp import tool_terminal_ref, update_agent_message_text, update_tool_call
from acp.interfaces import Client
from acp.schema import PromptResponse

from silcrow.acp.clientfs import ClientAbilities, ClientWorkspace
from silcrow.acp.content import PromptBlock, UnsupportedContent, stop_reason, turn_input
from silcrow.acp.errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, acp_error
from silcrow.acp.mcpconfig import McpConfig
from silcrow.acp.modes import stored_mode
from silcrow.acp.permissions import PermissionAsker
from silcrow.acp.updates import EventView, Update
from silcrow.agent import TurnHandle
from silcrow.agent.api import ProviderFactory
from silcrow.agent.eventlog import EventLog
from silcrow.agent.workspace_agent import AgentOptions, workspace_agent
from silcrow.protocol.modes import ChatMode
from silcrow.tools.sandbox import Sandbox


class AcpSession:
    def __init__(
        self,
        session_id: str,
        root: Path,
        client: Client,
        abilities: ClientAbilities,
        *,
        store: EventLog,
        provider: ProviderFactory,
        sandbox: Sandbox | None,
        mcp: McpConfig,
        profile: bool = True,
    ) -> None:
        self.id = session_id
        self.root = root
        self.client = client
        self.notice: str | None = None
        self.view = EventView(root)
        self.workspace = ClientWorkspace(
            root, client, session_id, abilities, self.view.sidecar, self._show_terminal
        )
        # A command in the client's terminal is outside our sandbox: no sandbox, every one asked.
        options = AgentOptions(sandbox=None if abilities.terminal else sandbox, profile=profile)
        self.agent = workspace_agent(
            provider,
            self.workspace,
            options,
            store=store,
            ask=PermissionAsker(client, session_id, self.view.call_id),
            notices=None,
            workspace_id=root.as_uri(),
            mcp_servers=mcp or None,  # the agent's own manager: started on the first turn
        )
        self.handle: TurnHandle | None = None
        self.mode: ChatMode = "agent"

    async def send(self, update: Update) -> None:
        await self.client.session_update(session_id=self.id, update=update)

    async def prompt(self, blocks: Sequence[PromptBlock]) -> PromptResponse:
        if self.handle is not None and not self.handle.done:
            raise acp_error(
                INVALID_REQUEST,
                f"session {self.id} is busy with another prompt; send session/cancel or wait "
                "for its response",
            )
        try:
            text, context = turn_input(blocks)
        except UnsupportedContent as exc:
            raise acp_error(INVALID_PARAMS, str(exc)) from None
        if not text:
            raise acp_error(INVALID_PARAMS, "the prompt is empty; send at least one text block")
        handle = self.agent.start(
            text, conversation_id=self.id, chunks=True, context=context or None, chat_mode=self.mode
        )
        self.handle = handle  # from here on the session is busy
        try:
            if self.notice is not None:
                notice, self.notice = self.notice, None
                await self.send(update_agent_message_text(f"[{notice}]\n\n"))
            await self._forward(handle)
        finally:
            handle.cancel()  # the connection failed mid-turn: stop it (no-op once it ended)
        outcome = await handle.wait()
        if outcome.stop_reason == "error":
            raise acp_error(INTERNAL_ERROR, outcome.error or "the turn failed")
        return PromptResponse(stop_reason=stop_reason(outcome.stop_reason))

    async def _forward(self, handle: TurnHandle) -> None:
        try:
            async for event in handle.events():
                for update in self.view.updates(event, replay=False):
                    await self.send(update)
                self.view.seen()
        except asyncio.CancelledError:  # the connection is closing: end the turn, answer nothing
            handle.cancel()
            await asyncio.shield(handle.wait())
            raise

    def set_mode(self, mode: ChatMode) -> None:
        self.mode = mode

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    async def replay(self, store: EventLog) -> None:
        view = EventView(self.root)
        for event in await store.events(self.id):
            if event.type == "user" and not (event.payload or {}).get("notice"):
                self.mode = stored_mode(event.payload)
            for update in view.updates(event, replay=True):
                await self.send(update)

    async def _show_terminal(self, command: str, terminal_id: str) -> None:
        call_id = await self.view.call_id("shell", {"command": command})
        self.view.sidecar.terminals[call_id] = terminal_id
        content = [tool_terminal_ref(terminal_id)]
        await self.send(update_tool_call(call_id, status="in_progress", content=content))

    async def aclose(self) -> None:
        self.cancel()
        if self.handle is not None:
            await self.handle.wait()
        await self.agent.aclose()
