"""``TurnHandle``: one running turn, its task and its one cancellation state machine.

``Agent.start(...)`` returns a ``TurnHandle`` at once, with
``conversation_id`` and ``turn_id`` already known; the turn runs in a task
of its own. Every front-end (the LSP daemon, the terminal client through
it, the library's ``async for event in agent(...)``) drives a turn through
this handle and nothing else.

Algorithm:
1. States: ``pending`` (task created, not yet running) -> ``running`` ->
   ``cancelling`` or ``finishing`` -> ``done``. Only this class moves them.
2. The task iterates the turn's body (``TurnBody.run``); every event it
   yields is already stored, and goes on the handle's queue in seq order.
   An event carrying a ``stopReason`` is the turn's final one: the state
   becomes ``finishing`` and a late ``cancel()`` changes nothing.
3. ``cancel()`` is idempotent and safe at any time: in ``pending`` it marks
   the turn, and the task cancels itself as soon as it starts; in
   ``running`` it cancels the task (CancelledError at the body's current
   await: model stream, store, tool); afterwards it does nothing. It
   returns whether the turn had not finished yet.
4. Final events are stored here, below every front-end, whatever stopped
   the turn: a cancel stores ``cancelled`` (stopReason ``cancelled``); an
   exception (a missing API key, a provider that cannot be built, a bug)
   stores ``error`` (stopReason ``error``; ``ProviderError`` and
   ``ValueError`` messages are shown as they are, anything else is logged
   and shown as an internal error). When the turn never stored its
   ``user`` event, it is stored first (creating the conversation if
   needed), so the log always shows what was asked.
   The exceptions: ``ConversationBusy`` (another agent's first turn created
   the conversation at the same moment) stores nothing in a conversation
   that is not this turn's; ``events()`` raises it once the queue is empty.
   A ``BaseException`` that is not a cancellation (the process is going
   down) stores nothing either and is raised by ``events()`` the same way,
   so it is never left unretrieved in the task.
5. ``events()`` yields the queued events until the turn is done; an
   interrupted iteration (the consumer's task was cancelled) loses nothing
   and can be resumed by calling ``events()`` again. ``wait()`` returns the
   ``TurnOutcome``; cancelling a waiter never cancels the turn.
6. ``TurnSpec.user_id`` is the caller's user id (None: none given). With
   one, the turn's ``user`` event carries it (``payload["user"]``) and the
   model is shown only that user's turns of the conversation
   (``TurnSpec.visible``: Cogency's history isolation); None sees them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from silcrow.agent.errors import ConversationBusy
from silcrow.protocol.events import Event, EventType
from silcrow.protocol.modes import ChatMode
from silcrow.providers.base import ProviderError

log = logging.getLogger(__name__)

StopReason = Literal["end", "cancelled", "max_iterations", "error"]
STOP_REASONS: tuple[StopReason, ...] = ("end", "cancelled", "max_iterations", "error")
CANCELLED_TEXT = "Cancelled by the user."
DEFAULT_USER = "default"


class _State(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    CANCELLING = "cancelling"
    FINISHING = "finishing"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """How a turn ended: ``stop_reason``, and the message when it is ``error``.

    ``raised`` is True when an exception stopped the turn (step 4), as
    opposed to a failure the turn reported itself (a provider error).
    """

    conversation_id: str
    turn_id: str
    stop_reason: StopReason
    error: str | None = None
    raised: bool = False


class TurnBody(Protocol):
    """What the agent gives a handle: the turn's events, and how to store its last ones."""

    def run(self) -> AsyncGenerator[Event, None]: ...

    async def store_final(self, events: Sequence[Event]) -> list[Event]: ...

    async def on_cancel(self) -> None: ...


def stop_reason_of(event: Event) -> StopReason | None:
    """The stop reason a final event carries, or None for any other event."""
    reason = (event.payload or {}).get("stopReason")
    for known in STOP_REASONS:
        if reason == known:
            return known
    return None


@dataclass(frozen=True)
class TurnSpec:
    """What a turn is asked to do, fixed when it starts."""

    conversation_id: str
    turn_id: str
    user_id: str | None  # as the caller gave it; None: no user named (sees every turn)
    query: str
    context: list[dict[str, object]] | None
    chunks: bool
    chat_mode: ChatMode = "agent"
    model: str | None = None  # chosen for this turn (and, stored, for later ones)

    @property
    def profile_user(self) -> str:
        """The user whose profile and conversations this turn uses ("default" when none given)."""
        return self.user_id or DEFAULT_USER

    def event(
        self, type_: EventType, content: str = "", payload: dict[str, object] | None = None
    ) -> Event:
        """An event of this turn (not yet stored)."""
        return Event(type_, content, payload, self.conversation_id, self.turn_id)

    def user_event(self) -> Event:
        """The turn's ``user`` event: the query; its context items, user, mode, model in the payload."""
        payload: dict[str, object] = {}
        if self.context:
            payload["context"] = self.context
        if self.user_id is not None:
            payload["user"] = self.user_id
        if self.chat_mode != "agent":
            payload["chatMode"] = self.chat_mode
        if self.model:
            payload["model"] = self.model
        return self.event("user", self.query, payload or None)

    def visible(self, events: Sequence[Event]) -> list[Event]:
        """The stored events the model may see on this turn (step 6)."""
        if self.user_id is None:
            return list(events)
        mine = {
            e.turn_id
            for e in events
            if e.type == "user" and (e.payload or {}).get("user") == self.user_id
        }
        return [e for e in events if e.turn_id in mine]


class TurnHandle:
    def __init__(
        self, spec: TurnSpec, body: TurnBody, on_done: Callable[[TurnHandle], None]
    ) -> None:
        self.conversation_id = spec.conversation_id
        self.turn_id = spec.turn_id
        self.user_id = spec.user_id
        self._spec = spec
        self._body = body
        self._on_done = on_done
        self._state = _State.PENDING
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._finished = asyncio.Event()
        self._asked = False  # the turn's own ``user`` event is stored
        self._refused: ConversationBusy | None = None  # raised by ``events()``, see step 4
        self._outcome = TurnOutcome(
            spec.conversation_id, spec.turn_id, "error", "the turn did not finish"
        )
        self._task = asyncio.get_running_loop().create_task(self._drive())

    # -- the public surface -----------------------------------------------------
    @property
    def done(self) -> bool:
        return self._state is _State.DONE

    def cancel(self) -> bool:
        """Stop the turn (see step 3); True if it had not finished yet."""
        match self._state:
            case _State.PENDING:
                self._state = _State.CANCELLING
            case _State.RUNNING:
                self._state = _State.CANCELLING
                self._task.cancel()
            case _State.CANCELLING:
                pass
            case _State.FINISHING | _State.DONE:
                return False
        return True

    async def events(self) -> AsyncIterator[Event]:
        """The turn's stored events in seq order, until it ends (resumable, see step 5)."""
        while True:
            if self._queue.empty() and self._finished.is_set():
                break
            event = await self._queue.get()
            if event is None:
                break
            yield event
        if self._refused is not None:
            raise self._refused
        if self._task.done() and not self._task.cancelled():
            died = self._task.exception()  # a BaseException that stopped the task (step 4)
            if died is not None:
                raise died

    async def wait(self) -> TurnOutcome:
        await self._finished.wait()
        return self._outcome

    # -- the task ---------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if event.type == "user" and event.turn_id == self.turn_id:
            self._asked = True
        reason = stop_reason_of(event)
        if reason is not None and event.turn_id == self.turn_id:
            if self._state is _State.RUNNING:
                self._state = _State.FINISHING
            self._outcome = TurnOutcome(
                self.conversation_id,
                self.turn_id,
                reason,
                event.content if reason == "error" else None,
            )
        self._queue.put_nowait(event)

    async def _drive(self) -> None:
        if self._state is _State.CANCELLING:  # cancelled before it started
            self._task.cancel()
        else:
            self._state = _State.RUNNING
        try:
            try:
                async with contextlib.aclosing(self._body.run()) as events:
                    async for event in events:
                        self._emit(event)
            except asyncio.CancelledError:
                if self._state is not _State.CANCELLING:
                    raise  # not ours (the loop is shutting down): propagate
                self._state = _State.FINISHING
                await self._body.on_cancel()
                await self._final("cancelled", CANCELLED_TEXT)
            except ConversationBusy as exc:
                self._refused = exc
                self._outcome = TurnOutcome(
                    self.conversation_id, self.turn_id, "error", str(exc), raised=True
                )
            except Exception as exc:
                self._state = _State.FINISHING
                await self._final("error", _message(exc, self.conversation_id), raised=True)
        except Exception:
            log.exception("could not store the end of turn %s", self.turn_id)
        finally:
            self._state = _State.DONE
            self._queue.put_nowait(None)
            self._finished.set()
            self._on_done(self)

    async def _final(
        self, kind: Literal["cancelled", "error"], message: str, *, raised: bool = False
    ) -> None:
        events = [] if self._asked else [self._spec.user_event()]
        events.append(self._spec.event(kind, message, {"stopReason": kind}))
        outcome = TurnOutcome(
            self.conversation_id, self.turn_id, kind, message if kind == "error" else None, raised
        )
        self._outcome = outcome  # also when the store cannot take the events
        for event in await self._body.store_final(events):
            self._emit(event)
        self._outcome = outcome


def _message(exc: Exception, conversation_id: str) -> str:
    if isinstance(exc, ProviderError | ValueError):
        return str(exc)
    log.error("turn on %s failed", conversation_id, exc_info=exc)
    return f"internal error: {exc!r}"
