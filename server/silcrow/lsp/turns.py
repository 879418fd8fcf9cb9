"""The daemon's running turns: a registry by conversation, and the JSON-RPC errors.

The turn itself (its task, cancellation, every stored event) belongs to the
agent (``silcrow.agent.handle.TurnHandle``); this module only routes
requests to it. ``silcrow/prompt`` (``TurnRegistry.run``) and the
code-action commands (``TurnRegistry.start``) both come through ``begin``.

Algorithm:
1. ``begin(params)`` waits out a settings refresh that started before it,
   picks the workspace session (no folder at all is ``NoWorkspaceError``
   1004, an unknown ``workspaceUri`` is ``UnknownWorkspaceError`` 1003),
   refuses a conversation with a running turn (``ConversationBusyError``
   1001: the daemon does not queue) and a ``conversationId`` the store does
   not know (``UnknownConversationError`` 1002: only the daemon makes ids),
   and registers the conversation at once (a new one gets its id here, so
   it can be cancelled before its first event). ``run`` (``silcrow/prompt``)
   then drives the turn to its end; ``start`` (``workspace/executeCommand``)
   drives it in a task of its own and returns the conversation id at once.
2. It gets the session's agent and starts the turn (``Agent.start``); a
   cancel that arrived while the agent was being built is handed to the
   handle as soon as it exists.
3. Every event of the handle (already stored, in seq order) goes out as a
   ``silcrow/event`` notification and feeds progress. When the request is
   cancelled (``$/cancelRequest``; ``shutdown``), the turn is cancelled
   through its handle and forwarding goes on to the turn's last event: the
   request resolves with the normal result, stopReason ``cancelled``.
   When another process's first turn created the same new conversation at
   that instant, the handle raises ``ConversationBusy`` and stores nothing:
   the answer is 1001, as for a turn running here.
4. ``cancel(conversation_id)`` / ``cancel_all()`` go to the handles;
   ``drain(timeout)`` waits for running turns on exit. A failed turn's one
   message is its ``error`` event; what a client without Silcrow's UI sees
   is ``silcrow.lsp.plainview``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcException

from silcrow.lsp.contract import PromptParams, PromptResult, to_json
from silcrow.lsp.progress import TurnProgress
from silcrow.lsp.sessions import NoWorkspace, SessionManager, UnknownWorkspace, WorkspaceSession
from silcrow.protocol.events import Event

if TYPE_CHECKING:
    from silcrow.agent import Agent
    from silcrow.agent.handle import TurnHandle

log = logging.getLogger(__name__)


class ConversationBusyError(JsonRpcException):
    CODE = 1001
    MESSAGE = "Conversation busy"


class UnknownConversationError(JsonRpcException):
    CODE = 1002
    MESSAGE = "Unknown conversation"


class UnknownWorkspaceError(JsonRpcException):
    CODE = 1003
    MESSAGE = "Unknown workspace"


class NoWorkspaceError(JsonRpcException):
    CODE = 1004
    MESSAGE = "No workspace folder"


def busy_error(conversation_id: str) -> ConversationBusyError:
    return ConversationBusyError(
        f"conversation {conversation_id} is busy with another turn; cancel it "
        "(silcrow/cancel) or wait for it to end",
        data={"conversationId": conversation_id},
    )


@dataclass
class RunningPrompt:
    """A registered conversation: its session, and its turn once started."""

    conversation_id: str
    session: WorkspaceSession
    params: PromptParams
    handle: TurnHandle | None = None
    cancel_on_start: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def cancel(self) -> bool:
        if self.handle is None:
            self.cancel_on_start = True
            return True
        return self.handle.cancel()


class TurnRegistry:
    def __init__(
        self,
        sessions: SessionManager,
        send: Callable[[Event], None],
        progress: Callable[[RunningPrompt], TurnProgress],
    ) -> None:
        self.sessions = sessions
        self._send = send
        self._progress = progress
        self.running: dict[str, RunningPrompt] = {}
        self._detached: set[asyncio.Task[PromptResult]] = set()

    async def run(
        self, params: PromptParams, default_chunks: Callable[[WorkspaceSession], bool]
    ) -> PromptResult:
        """``silcrow/prompt``: the whole turn; resolves when it ends."""
        entry = await self.begin(params)
        return await self._run(entry, default_chunks)

    async def start(
        self, params: PromptParams, default_chunks: Callable[[WorkspaceSession], bool]
    ) -> str:
        """``workspace/executeCommand``: the turn runs on; its conversation id at once."""
        entry = await self.begin(params)
        task = asyncio.ensure_future(self._run_after_answer(entry, default_chunks))
        self._detached.add(task)
        task.add_done_callback(self._detached_done)
        return entry.conversation_id

    async def _run_after_answer(
        self, entry: RunningPrompt, default_chunks: Callable[[WorkspaceSession], bool]
    ) -> PromptResult:
        # The first prompt imports the agent on the loop: let the command's answer go out first.
        await asyncio.sleep(0)
        return await self._run(entry, default_chunks)

    def _detached_done(self, task: asyncio.Task[PromptResult]) -> None:
        self._detached.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a command's turn failed", exc_info=task.exception())

    async def begin(self, params: PromptParams) -> RunningPrompt:
        """Steps 1: pick the session and register the conversation (errors are JSON-RPC errors)."""
        async with self.sessions.config_lock:
            pass  # a settings refresh that started before this prompt applies to it
        context = [to_json(item) for item in params.context]
        try:
            session = await self.sessions.pick(
                params.workspace_uri, params.conversation_id, context
            )
        except NoWorkspace as exc:
            raise NoWorkspaceError(str(exc)) from None
        except UnknownWorkspace as exc:
            raise UnknownWorkspaceError(str(exc)) from None
        cid = params.conversation_id or uuid.uuid4().hex
        if cid in self.running:
            raise busy_error(cid)
        if params.conversation_id and not await self.sessions.known(cid):
            raise UnknownConversationError(
                f"no conversation {cid}; leave conversationId out to start a new one, "
                "or list them with silcrow/conversations",
                data={"conversationId": cid},
            )
        if cid in self.running:  # again: another prompt may have registered it meanwhile
            raise busy_error(cid)
        entry = RunningPrompt(cid, session, params)
        self.running[cid] = entry
        session.busy()
        return entry

    async def _run(
        self, entry: RunningPrompt, default_chunks: Callable[[WorkspaceSession], bool]
    ) -> PromptResult:
        params, session, cid = entry.params, entry.session, entry.conversation_id
        try:
            chunks = default_chunks(session) if params.chunks is None else params.chunks
            return await self._drive(entry, chunks, [to_json(item) for item in params.context])
        finally:
            if self.running.get(cid) is entry:
                del self.running[cid]
            session.settle()
            entry.done.set()

    async def _drive(
        self, entry: RunningPrompt, chunks: bool, context: list[dict[str, object]]
    ) -> PromptResult:
        from silcrow.agent import ConversationBusy

        progress = self._progress(entry)
        progress.start()
        agent = await _until_built(entry)
        try:
            handle = agent.start(
                entry.params.text,
                conversation_id=entry.conversation_id,
                chunks=chunks,
                context=context or None,
                chat_mode=entry.params.chat_mode or "agent",
                model=entry.params.model,
            )
        except ConversationBusy:
            await progress.finish("busy")
            raise busy_error(entry.conversation_id) from None
        entry.handle = handle
        if entry.cancel_on_start:
            handle.cancel()
        while True:
            try:
                async for event in handle.events():
                    self._send(event)
                    progress.step(event)
                break
            except asyncio.CancelledError:  # the request was cancelled: so is the turn
                handle.cancel()
            except ConversationBusy:  # another process's first turn created it this instant
                await progress.finish("busy")
                raise busy_error(entry.conversation_id) from None
        outcome = await handle.wait()
        with contextlib.suppress(asyncio.CancelledError):  # the turn is over: answer anyway
            await progress.finish(outcome.stop_reason)
        return PromptResult(
            conversation_id=outcome.conversation_id,
            turn_id=outcome.turn_id,
            stop_reason=outcome.stop_reason,
            error=outcome.error,
        )

    def cancel(self, conversation_id: str) -> bool:
        entry = self.running.get(conversation_id)
        return entry is not None and entry.cancel()

    def cancel_all(self) -> None:
        for entry in list(self.running.values()):
            entry.cancel()

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded wait on exit
        waits = [asyncio.ensure_future(entry.done.wait()) for entry in self.running.values()]
        if waits:
            await asyncio.wait(waits, timeout=timeout)
            for waiting in waits:
                waiting.cancel()


async def _until_built(entry: RunningPrompt) -> Agent:
    """The session's agent; a cancel meanwhile is kept for the turn (step 2)."""
    while True:
        try:
            return await entry.session.agent()
        except asyncio.CancelledError:
            entry.cancel()
