"""Turns: the one cancellable machinery behind ``silcrow/prompt`` and the code-action commands.

Algorithm:
1. ``TurnRequest.parse(params)`` checks the request; bad input is an
   ``InvalidParams`` error that names the field.
2. ``Turns.run(request)`` picks the workspace session, refuses a second turn
   on a conversation that has one running (``ConversationBusy``, code 1001;
   no workspace folder at all is ``NoWorkspace``, code 1004;
   the daemon does not queue), registers the turn under its conversation id
   (a new conversation gets its id here, so it can be cancelled at once) and
   starts a driver task.
3. The request handler awaits the driver through ``asyncio.shield``. When
   pygls cancels the handler (``$/cancelRequest``, or ``shutdown``), the
   handler clears its task's cancellation, cancels the turn and keeps
   waiting: the request resolves with the normal result, stopReason
   ``cancelled``.
4. The driver iterates the agent: every (already stored) event goes out as a
   ``silcrow/event`` notification in the order the agent yields it (seq
   order), then feeds progress. A cancel is given to the agent exactly once;
   one that arrives before the agent has registered the turn is delivered
   after the next event.
5. Failures that stop the agent from producing its own final event (a
   missing API key, a broken provider setting, a bug) are stored as a
   ``user`` + ``error`` pair, sent, and end the turn with stopReason
   ``error``; the daemon stays up.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from silcrow.lsp.editor import as_plain
from silcrow.lsp.progress import TurnProgress
from silcrow.lsp.sessions import NoWorkspace, SessionManager, UnknownWorkspace, WorkspaceSession
from silcrow.protocol.events import Event

log = logging.getLogger(__name__)

STOP_REASONS = ("end", "cancelled", "max_iterations", "error")


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


@dataclass(frozen=True, slots=True)
class TurnRequest:
    text: str
    conversation_id: str | None = None
    context: list[dict[str, Any]] = field(default_factory=list)
    chunks: bool | None = None
    workspace_uri: str | None = None
    work_done_token: str | int | None = None

    @classmethod
    def parse(cls, params: Any) -> TurnRequest:
        raw = as_plain(params)
        if not isinstance(raw, dict):
            raise JsonRpcInvalidParams("silcrow/prompt params must be an object with a \"text\" field")
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise JsonRpcInvalidParams("\"text\" is required: a non-empty string (the user's message)")
        return cls(
            text=text,
            conversation_id=_optional(raw, "conversationId", str),
            context=_context(raw.get("context")),
            chunks=_optional(raw, "chunks", bool),
            workspace_uri=_optional(raw, "workspaceUri", str),
            work_done_token=raw.get("workDoneToken"),
        )


def _optional(raw: dict[str, Any], key: str, kind: type) -> Any:
    value = raw.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise JsonRpcInvalidParams(f"\"{key}\" must be a {kind.__name__} (or omitted)")


def _context(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("uri"), str) for item in value
    ):
        raise JsonRpcInvalidParams("\"context\" must be a list of {uri, range?, text?} objects")
    return value


def stop_reason(event: Event | None) -> str:
    if event is None:
        return "error"
    reason = (event.payload or {}).get("stopReason")
    if reason in STOP_REASONS:
        return str(reason)
    return {"cancelled": "cancelled", "error": "error"}.get(event.type, "end")


@dataclass
class Turn:
    conversation_id: str
    session: WorkspaceSession
    request: TurnRequest
    task: asyncio.Task[dict[str, Any]] | None = None
    cancel_requested: bool = False
    cancel_delivered: bool = False

    def cancel(self) -> None:
        self.cancel_requested = True
        self.deliver_cancel()

    def deliver_cancel(self) -> None:
        """Tell the agent once; before it has registered the turn, it says False and we retry."""
        agent = self.session.agent_if_built
        if self.cancel_requested and not self.cancel_delivered and agent is not None:
            self.cancel_delivered = bool(agent.cancel(self.conversation_id))


class Turns:
    def __init__(
        self,
        sessions: SessionManager,
        send: Callable[[Event], None],
        progress: Callable[[Turn], TurnProgress],
    ) -> None:
        self.sessions = sessions
        self._send = send
        self._progress = progress
        self.running: dict[str, Turn] = {}
        self._shown: set[str] = set()

    async def run(self, request: TurnRequest, default_chunks: Callable[[WorkspaceSession], bool]) -> dict[str, Any]:
        async with self.sessions.config_lock:
            pass  # a settings refresh that started before this prompt applies to it
        try:
            session = await self.sessions.pick(
                request.workspace_uri, request.conversation_id, request.context
            )
        except NoWorkspace as exc:
            raise NoWorkspaceError(str(exc)) from None
        except UnknownWorkspace as exc:
            raise UnknownWorkspaceError(str(exc)) from None
        cid = request.conversation_id or uuid.uuid4().hex
        if cid in self.running:
            raise busy_error(cid)
        if request.chunks is None:
            request = _with_chunks(request, default_chunks(session))
        turn = Turn(cid, session, request)
        self.running[cid] = turn
        session.busy()
        turn.task = asyncio.ensure_future(self._drive(turn))
        turn.task.add_done_callback(lambda _: self._finished(turn))
        return await self._await(turn)

    def _finished(self, turn: Turn) -> None:
        if self.running.get(turn.conversation_id) is turn:
            del self.running[turn.conversation_id]
        turn.session.settle()

    async def _await(self, turn: Turn) -> dict[str, Any]:
        task = turn.task
        assert task is not None
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if task.done():
                    break  # the turn itself was cancelled (the daemon is exiting)
                me = asyncio.current_task()
                if me is not None:
                    me.uncancel()
                turn.cancel()
        return task.result()

    def cancel(self, conversation_id: str) -> bool:
        turn = self.running.get(conversation_id)
        if turn is None:
            return False
        turn.cancel()
        return True

    def cancel_all(self) -> None:
        for turn in list(self.running.values()):
            turn.cancel()

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded wait on exit
        tasks = [t.task for t in self.running.values() if t.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _drive(self, turn: Turn) -> dict[str, Any]:
        from silcrow.agent import ConversationBusy

        req, cid = turn.request, turn.conversation_id
        progress = self._progress(turn)
        progress.start()
        last: Event | None = None
        try:
            agent = await turn.session.agent()
            async for event in agent(req.text, conversation_id=cid, chunks=bool(req.chunks),
                                     context=req.context or None):
                self._send(event)
                progress.step(event)
                last = event
                turn.deliver_cancel()
        except ConversationBusy:
            await progress.finish("busy")
            raise busy_error(cid) from None
        except Exception as exc:
            last = await self._fail(turn, last, exc)
        reason = stop_reason(last)
        await progress.finish(reason)
        result: dict[str, Any] = {
            "conversationId": cid, "turnId": last.turn_id if last else "", "stopReason": reason,
        }
        if reason == "error" and last is not None:
            result["error"] = last.content
        return result

    async def _fail(self, turn: Turn, last: Event | None, exc: Exception) -> Event:
        """Store and send a final ``error`` event for a turn the agent could not finish."""
        from silcrow.providers.base import ProviderError

        message = str(exc) if isinstance(exc, ProviderError | ValueError) else f"internal error: {exc!r}"
        if not isinstance(exc, ProviderError | ValueError):
            log.exception("turn on %s failed", turn.conversation_id)
        store = await self.sessions.store()
        cid, req = turn.conversation_id, turn.request
        turn_id = last.turn_id if last is not None else uuid.uuid4().hex
        events = []
        if last is None:
            if await store.get_conversation(cid) is None:
                await store.create_conversation(
                    workspace=turn.session.uri, title=" ".join(req.text.split())[:80],
                    conversation_id=cid,
                )
            payload = {"context": req.context} if req.context else None
            events.append(Event("user", req.text, payload, cid, turn_id))
        events.append(Event("error", message, {"stopReason": "error"}, cid, turn_id))
        stored = await store.append_many(events)
        for event in stored:
            self._send(event)
        if message not in self._shown:
            self._shown.add(message)
            self.sessions.editor.show(f"Silcrow: {message}")
        return stored[-1]


def _with_chunks(request: TurnRequest, chunks: bool) -> TurnRequest:
    from dataclasses import replace

    return replace(request, chunks=chunks)
