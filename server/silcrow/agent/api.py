"""The public library API: ``Agent(...)`` and ``async for event in agent(query)``.

Algorithm:
1. ``Agent(...)`` keeps configuration only; the provider, store and tools
   are made on first use (``ready()``), so constructing one is cheap. The
   default tools need ``workspace=``: nothing falls back to the current
   directory.
2. ``agent(query, conversation_id=None, ...)``: no conversation id means a
   new conversation (stateless default); with one, the turn continues it
   from the store. One turn per conversation at a time (``ConversationBusy``).
3. The turn runs in the caller's task. ``cancel()`` marks the turn and, if the
   turn is inside an await (model stream, tool), cancels the task; the turn
   catches that, stores a ``cancelled`` event, yields it and ends. When the
   turn is parked at a ``yield`` the mark is seen as soon as it resumes.
   A warm live session that saw a cancelled reply is closed (the next turn
   reopens it from the store).
4. After each turn, every ``learn_every`` user messages, the profile is
   updated in a background task (failures are logged, never raised).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from silcrow.agent.executor import Executor, Policy
from silcrow.agent.turn import Mode, TurnRunner, TurnSpec, WarmSession
from silcrow.protocol.assembly import build_system
from silcrow.protocol.events import Event
from silcrow.providers.base import Provider
from silcrow.tools.base import AskFn, Tool, Workspace

log = logging.getLogger(__name__)

DEFAULT_IDENTITY = (
    "You are Silcrow, a coding agent working inside the user's editor. You read and change "
    "the user's workspace only through the tools listed below, explain what you do briefly, "
    "and never invent tool results."
)
MODES = ("auto", "resume", "replay")


class ConversationBusy(RuntimeError):
    """A turn is already running on this conversation."""


@dataclass
class _Running:
    task: asyncio.Task[Any] | None
    cancelled: bool = False
    parked: bool = False  # the turn is suspended at a yield, not inside an await


class Agent:
    def __init__(
        self,
        llm: str | Provider = "auto",
        *,
        mode: Mode = "auto",
        storage: Any = None,
        identity: str | None = None,
        instructions: str | None = None,
        tools: Sequence[Tool] | None = None,
        workspace: Workspace | None = None,
        max_iterations: int = 10,
        history_window: int | None = None,
        profile: bool = True,
        learn_every: int = 5,
        debug: bool = False,
        permissions: Policy | None = None,
        ask: AskFn | None = None,
        notices: Callable[[], list[str]] | None = None,
        workspace_id: str = "",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if max_iterations < 1:
            raise ValueError("max_iterations must be at least 1")
        if tools is None and workspace is None:
            raise ValueError(
                "Agent needs workspace= (e.g. LocalWorkspace(Path('path/to/project'))) or tools=: "
                "the default tools work inside a folder you name, never the current directory"
            )
        self.llm = llm
        self.mode: Mode = mode
        self.storage = storage
        self.identity = DEFAULT_IDENTITY if identity is None else identity
        self.instructions = instructions or ""
        self.max_iterations = max_iterations
        self.history_window = history_window
        self.profile = profile
        self.learn_every = learn_every
        self.permissions = permissions
        self.ask = ask
        self.notices = notices
        self.workspace_id = workspace_id
        self._tools = list(tools) if tools is not None else None
        self._workspace = workspace
        self._provider: Provider | None = None
        self._store: Any = None
        self._owns_store = False
        self._warm = WarmSession()
        self._running: dict[str, _Running] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._lock = asyncio.Lock()
        if debug:
            logging.getLogger("silcrow").setLevel(logging.DEBUG)

    # -- set-up ---------------------------------------------------------------
    async def ready(self) -> None:
        async with self._lock:
            if self._store is None:
                self._store = await self._open_store()
            if self._provider is None:
                self._provider = self._make_provider()
            if self._tools is None:
                self._tools = self._default_tools()

    async def _open_store(self) -> Any:
        from silcrow.store import EventStore

        if self.storage is None or isinstance(self.storage, str | Path):
            self._owns_store = True
            return await EventStore.open(self.storage)
        return self.storage

    def _make_provider(self) -> Provider:
        if not isinstance(self.llm, str):
            return self.llm
        from silcrow.providers.registry import make_provider

        return make_provider(self.llm)

    def _default_tools(self) -> list[Tool]:
        from silcrow.tools.registry import default_tools

        assert self._workspace is not None  # __init__ requires workspace= or tools=
        return default_tools(self._workspace, store=self._store)

    @property
    def store(self) -> Any:
        return self._store

    # -- turns ----------------------------------------------------------------
    async def __call__(
        self,
        query: str,
        *,
        conversation_id: str | None = None,
        user_id: str | None = None,
        chunks: bool = False,
        context: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[Event]:
        await self.ready()
        user = user_id or "default"
        conv_id = await self._conversation(conversation_id, user, query)
        if conv_id in self._running:
            raise ConversationBusy(f"conversation {conv_id} already has a turn running")
        running = _Running(task=asyncio.current_task())
        self._running[conv_id] = running
        spec = TurnSpec(conv_id, uuid.uuid4().hex, user, query, context, chunks)
        try:
            async for event in self._guarded(spec, running):
                yield event
        finally:
            self._running.pop(conv_id, None)
        self._maybe_learn(user)

    async def _guarded(self, spec: TurnSpec, running: _Running) -> AsyncIterator[Event]:
        runner = await self._runner(spec.user_id)
        turn = runner.run(spec)
        try:
            while True:
                if running.cancelled:
                    raise asyncio.CancelledError
                try:
                    event = await turn.__anext__()
                except StopAsyncIteration:
                    return
                running.parked = True
                try:
                    yield event
                finally:
                    running.parked = False
        except asyncio.CancelledError:
            if not running.cancelled:
                raise  # cancelled by someone else: propagate untouched
            task = asyncio.current_task()
            if task is not None:
                while task.uncancel():
                    pass
            with contextlib.suppress(Exception):
                await turn.aclose()
            await self._warm.close()
            running.parked = True  # a further cancel() must not cancel the consumer
            yield await self._store.append(
                Event(
                    type="cancelled",
                    content="Cancelled by the user.",
                    payload={"stopReason": "cancelled"},
                    conversation_id=spec.conversation_id,
                    turn_id=spec.turn_id,
                )
            )

    async def _runner(self, user_id: str) -> TurnRunner:
        assert self._provider is not None and self._tools is not None
        return TurnRunner(
            store=self._store,
            provider=self._provider,
            executor=Executor(self._tools, policy=self.permissions, ask=self.ask),
            system=await self._system(user_id),
            mode=self.mode,
            max_iterations=self.max_iterations,
            history_window=self.history_window,
            warm=self._warm,
            notices=self.notices,
        )

    async def _system(self, user_id: str) -> str:
        from silcrow.tools.registry import describe_tools

        profile_text = ""
        if self.profile:
            stored = await self._store.get_profile(user_id)
            if stored:
                from silcrow.agent.profile import render_profile

                profile_text = render_profile(stored)
        return build_system(
            identity=self.identity,
            tools=describe_tools(self._tools or []),
            instructions=self.instructions,
            profile=profile_text,
        )

    async def _conversation(self, conversation_id: str | None, user: str, query: str) -> str:
        if conversation_id is not None:
            existing = await self._store.get_conversation(conversation_id)
            if existing is not None:
                return conversation_id
        title = " ".join(query.split())[:80]
        conv = await self._store.create_conversation(
            workspace=self.workspace_id, user_id=user, title=title, conversation_id=conversation_id
        )
        return str(conv.id)

    def cancel(self, conversation_id: str | None = None) -> bool:
        """Stop the running turn (or every running turn); True if one was running."""
        targets = (
            [self._running[conversation_id]]
            if conversation_id is not None and conversation_id in self._running
            else list(self._running.values()) if conversation_id is None else []
        )
        for running in targets:
            running.cancelled = True
            if not running.parked and running.task is not None:
                running.task.cancel()
        return bool(targets)

    # -- memory ---------------------------------------------------------------
    def _maybe_learn(self, user_id: str) -> None:
        if not self.profile or self.learn_every <= 0 or self._provider is None:
            return
        task = asyncio.get_running_loop().create_task(self._learn(user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _learn(self, user_id: str) -> None:
        try:
            count = await self._store.count_events(type="user", user_id=user_id)
            if count == 0 or count % self.learn_every:
                return
            from silcrow.agent.profile import learn_profile

            if self._provider is not None:
                await learn_profile(self._provider, self._store, user_id)
        except Exception:
            log.exception("profile update failed")

    # -- teardown -------------------------------------------------------------
    async def close_session(self) -> None:
        await self._warm.close()

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._warm.close()
        if self._provider is not None:
            with contextlib.suppress(Exception):
                await self._provider.aclose()
        if self._owns_store and self._store is not None:
            await self._store.close()
            self._store = None
