"""The public library API: ``Agent(...)``, ``agent.start(query) -> TurnHandle``.

Algorithm:
1. ``Agent(llm, storage, security=...)`` (Cogency's signature, plus
   Silcrow's keywords) keeps configuration only; the provider, store and
   tools are made on first use (``ready()``), so constructing one is cheap.
   ``llm`` is a vendor name, a ``Provider``, or a function that builds one
   (called on first use, so a missing API key fails the turn that needs
   it, stored as that turn's ``error``). ``storage`` is a database path, a
   ``Storage`` object, or None (the default store). The default tools work
   in ``workspace=``, else in the folder ``security`` names
   (``silcrow.agent.setup``): Cogency's sandbox folder by default, never
   the current directory unless ``Security(access="project")`` says so.
2. ``agent.start(query, conversation_id=None, ...)`` returns a
   ``TurnHandle`` at once (``silcrow.agent.handle``: ids known up front,
   ``events()``, ``cancel()``, ``wait()``); the turn runs in its own task.
   No conversation id means a new conversation; with one, the turn
   continues it from the store (or creates it under that id). One turn per
   conversation at a time (``ConversationBusy``, raised by ``start``).
3. ``async for event in agent(query, ...)`` is ``start`` plus ``events()``;
   leaving the loop early cancels the turn. ``agent.cancel(conversation_id)``
   cancels through the handle. A warm live session that saw a cancelled
   reply is closed (the next turn reopens it from the store).
   A consumer whose task is cancelled (``task.cancel()``, Cogency's way)
   cancels the turn too, and its ``cancelled`` event is stored before the
   ``CancelledError`` reaches the consumer.
4. ``mcp_servers=`` (an ``mcpServers`` object in the common JSON shape, or
   an ``McpManager`` the caller owns) adds MCP tools: before each turn the
   agent waits for the servers' tool lists (bounded, ``silcrow.mcp.manager``)
   and offers the built-ins plus every running server's tools; servers'
   notices reach the model like other notices. A bad definition raises
   ``McpConfigError`` naming it. A manager made from config is the agent's
   and is stopped by ``aclose()``.
5. After each turn, every ``learn_every`` user messages, the profile is
   updated in a background task (failures are logged, never raised).
6. ``aclose()`` (or ``async with Agent(...)``) releases the live session,
   the providers and a store the agent opened. A script that never calls it
   still exits cleanly: the first ``ready()`` starts a keeper task that
   waits forever and releases everything when it is cancelled, which
   ``asyncio.run`` does to every task before it closes the loop.
7. Each turn's system prompt is built when it starts: the tools its chat
   mode offers (``chat_mode``: ``silcrow.protocol.modes``; the executor
   refuses the others), ``instructions`` (plus the plan instruction in
   ``plan`` mode), and ``rules()`` when given (the front-end's project
   rules, read fresh).
8. ``model=`` on ``start`` chooses the turn's model (``silcrow.agent.models``:
   a turn that names none keeps its conversation's last choice; the
   provider of a chosen model is built once, by ``models(name)`` or from
   the ``llm`` vendor name); the agent, its permissions ("allow always")
   and tools stay as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from silcrow.agent.context import resolve_context
from silcrow.agent.errors import ConversationBusy
from silcrow.agent.eventlog import EventLog
from silcrow.agent.executor import Executor, Policy
from silcrow.agent.handle import DEFAULT_USER, TurnHandle, TurnSpec
from silcrow.agent.models import ModelProviders, chosen_model
from silcrow.agent.setup import Security, check_storage, resolve_tools, workspace_for
from silcrow.agent.turn import Mode, TurnRunner, WarmSession
from silcrow.mcp.manager import McpManager
from silcrow.protocol.assembly import build_system
from silcrow.protocol.events import Event
from silcrow.protocol.modes import CHAT_MODES, PLAN_INSTRUCTION, ChatMode
from silcrow.providers.base import Provider
from silcrow.tools.base import AskFn, Tool, Workspace
from silcrow.tools.catalogue import Builtin

log = logging.getLogger(__name__)

DEFAULT_IDENTITY = (
    "You are Silcrow, a coding agent working inside the user's editor. You read and change "
    "the user's workspace only through the tools listed below, explain what you do briefly, "
    "and never invent tool results."
)
MODES = ("auto", "resume", "replay")


ProviderFactory = Callable[[], Provider]


class Agent:
    def __init__(
        self,
        llm: str | Provider | ProviderFactory = "auto",
        storage: str | Path | EventLog | None = None,
        *,
        security: Security | None = None,
        mode: Mode = "auto",
        identity: str | None = None,
        instructions: str | None = None,
        tools: Sequence[Tool | Builtin] | None = None,
        workspace: Workspace | None = None,
        max_iterations: int = 10,
        history_window: int | None = None,
        profile: bool = False,
        learn_every: int = 5,
        debug: bool = False,
        permissions: Policy | None = None,
        ask: AskFn | None = None,
        notices: Callable[[], list[str]] | None = None,
        workspace_id: str = "",
        mcp_servers: Mapping[str, object] | McpManager | None = None,
        rules: Callable[[], str] | None = None,
        models: Callable[[str], Provider | None] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if max_iterations < 1:
            raise ValueError("max_iterations must be at least 1")
        check_storage(storage)
        self.llm = llm
        self.security = security or Security()
        self._given_security = security is not None  # its timeouts apply only when given
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
        self.rules = rules  # the project rules, read when each turn starts (step 7)
        self._models = ModelProviders(models, llm if isinstance(llm, str) else None)
        self._wanted: list[Tool | Builtin] | None = list(tools) if tools is not None else None
        self._tools: list[Tool] | None = None
        self._workspace = workspace
        self._owns_mcp = mcp_servers is not None and not isinstance(mcp_servers, McpManager)
        self._mcp = (
            McpManager.from_config(
                mcp_servers,
                root=workspace.root if workspace else None,
                strict=True,  # a bad definition is the caller's error, raised here
                on_notice=log.warning,
            )
            if self._owns_mcp
            else mcp_servers
        )
        self._provider: Provider | None = None
        self._store: EventLog | None = None
        self._owns_store = False
        self._keeper: asyncio.Task[None] | None = None
        self._warm = WarmSession()
        self._running: dict[str, TurnHandle] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        if debug:
            logging.getLogger("silcrow").setLevel(logging.DEBUG)

    # -- set-up ---------------------------------------------------------------
    async def ready(self) -> None:
        await self._log()
        async with self._lock:
            if self._keeper is None:
                self._keeper = asyncio.get_running_loop().create_task(self._keep())
            if self._provider is None:
                self._provider = self._make_provider()
            if self._tools is None:
                if self._wanted is None:
                    self._tools = self._default_tools()
                else:
                    self._tools = resolve_tools(self._wanted, self._default_tools)
        if isinstance(self._mcp, McpManager):
            await self._mcp.wait_ready()

    async def __aenter__(self) -> Agent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _log(self) -> EventLog:
        """The event log, opened on first use (a path or None: an ``EventStore`` this agent owns)."""
        async with self._lock:
            if self._store is None:
                if self.storage is None or isinstance(self.storage, str | Path):
                    from silcrow.store import EventStore

                    self._owns_store = True
                    self._store = await EventStore.open(self.storage)
                else:
                    self._store = self.storage
            return self._store

    def _make_provider(self) -> Provider:
        if isinstance(self.llm, str):
            from silcrow.providers.registry import make_provider

            if self._given_security:
                return make_provider(self.llm, timeout=self.security.api_timeout)
            return make_provider(self.llm)
        if isinstance(self.llm, Provider):
            return self.llm
        return self.llm()

    def _default_tools(self) -> list[Tool]:
        from silcrow.tools.builtin.recall import RecallStore
        from silcrow.tools.registry import ToolSettings, default_tools

        settings = ToolSettings()
        if self._given_security:
            settings = ToolSettings(shell_default_timeout=float(self.security.shell_timeout))
        # recall needs a store that can search (EventStore can; a user's Storage may not)
        searchable = self._store if isinstance(self._store, RecallStore) else None
        return default_tools(self.workspace, store=searchable, settings=settings)

    @property
    def workspace(self) -> Workspace:
        """Where the default tools work: ``workspace=``, else the folder ``security`` names."""
        if self._workspace is None:
            self._workspace = workspace_for(self.security)
        return self._workspace

    @property
    def store(self) -> EventLog | None:
        return self._store

    def _all_tools(self) -> list[Tool]:
        """The built-in or given tools, then every running MCP server's."""
        extra = self._mcp.tools() if isinstance(self._mcp, McpManager) else []
        return [*(self._tools or []), *extra]

    def _all_notices(self) -> list[str]:
        own = self.notices() if self.notices is not None else []
        return own + (self._mcp.notices() if isinstance(self._mcp, McpManager) else [])

    # -- turns ----------------------------------------------------------------
    def start(
        self,
        query: str,
        *,
        conversation_id: str | None = None,
        user_id: str | None = None,
        chunks: bool = False,
        context: list[dict[str, object]] | None = None,
        chat_mode: ChatMode = "agent",
        model: str | None = None,
    ) -> TurnHandle:
        """Start a turn in a task of its own; raises ``ConversationBusy`` if one is running."""
        conv_id = conversation_id or uuid.uuid4().hex
        if conv_id in self._running:
            raise ConversationBusy(f"conversation {conv_id} already has a turn running")
        if chat_mode not in CHAT_MODES:
            raise ValueError(f"chat_mode must be one of {', '.join(CHAT_MODES)}, not {chat_mode!r}")
        spec = TurnSpec(
            conv_id, uuid.uuid4().hex, user_id, query, context, chunks, chat_mode, model or None
        )
        handle = TurnHandle(spec, _Body(self, spec), self._finished)
        self._running[conv_id] = handle
        return handle

    async def __call__(
        self,
        query: str,
        user_id: str | None = None,
        conversation_id: str | None = None,
        chunks: bool = False,
        generate: bool = False,
        *,
        context: list[dict[str, object]] | None = None,
    ) -> AsyncIterator[Event]:
        """``start`` + ``events()``: the stored events of one turn; leaving early cancels it.

        The parameters come in Cogency's order. ``generate`` (Cogency: one
        non-streaming request) is accepted and changes nothing: the model is
        always streamed, and the stored events are the same either way.
        When the consumer stops early (``break``, its task cancelled) the turn is
        cancelled and its ``cancelled`` event stored before this returns or raises.
        """
        handle = self.start(
            query, conversation_id=conversation_id, user_id=user_id, chunks=chunks, context=context
        )
        try:
            async for event in handle.events():
                yield event
        finally:
            if handle.cancel():
                await asyncio.shield(handle.wait())

    def _finished(self, handle: TurnHandle) -> None:
        if self._running.get(handle.conversation_id) is handle:
            del self._running[handle.conversation_id]
        self._maybe_learn(handle.user_id or DEFAULT_USER)

    def _context(self) -> dict[str, object]:
        """What a custom tool may ask for besides ``user_id`` (``silcrow.tools.custom``)."""
        folder = self._workspace.root if self._workspace is not None else self.security.folder()
        return {"sandbox_dir": str(folder), "access": self.security.access}

    async def _runner(self, log_: EventLog, spec: TurnSpec, model: str | None) -> TurnRunner:
        assert self._provider is not None and self._tools is not None
        executor = Executor(
            self._all_tools(),
            policy=self.permissions,
            ask=self.ask,
            context=self._context(),
            mode=spec.chat_mode,
        )
        offered = set(executor.offered())  # one list for the prompt and the executor
        tools = [tool for tool in executor.tools.values() if tool.name in offered]
        return TurnRunner(
            store=log_,
            provider=self._models.get(self._provider, model),
            executor=executor,
            system=await self._system(log_, spec, tools),
            mode=self.mode,
            max_iterations=self.max_iterations,
            history_window=self.history_window,
            warm=self._warm,
            notices=self._all_notices,
        )

    async def _system(self, log_: EventLog, spec: TurnSpec, tools: Sequence[Tool]) -> str:
        from silcrow.tools.registry import describe_tools

        profile_text = ""
        if self.profile:
            stored = await log_.get_profile(spec.profile_user)
            if stored:
                from silcrow.agent.profile import render_profile

                profile_text = render_profile(stored)
        instructions = self.instructions
        if spec.chat_mode == "plan":
            instructions = f"{instructions}\n\n{PLAN_INSTRUCTION}".strip()
        return build_system(
            identity=self.identity,
            tools=describe_tools(tools),
            instructions=instructions,
            profile=profile_text,
            rules=self.rules() if self.rules is not None else "",
        )

    async def _conversation(self, spec: TurnSpec) -> EventLog:
        """The log, with the turn's conversation in it (created under its id if new)."""
        log_ = await self._log()
        if await log_.get_conversation(spec.conversation_id) is None:
            try:
                await log_.create_conversation(
                    workspace=self.workspace_id,
                    user_id=spec.profile_user,
                    title=" ".join(spec.query.split())[:80],
                    conversation_id=spec.conversation_id,
                )
            except ValueError:
                if await log_.get_conversation(spec.conversation_id) is None:
                    raise
                raise ConversationBusy(
                    f"conversation {spec.conversation_id} was just started by another turn"
                ) from None
        return log_

    def cancel(self, conversation_id: str | None = None) -> bool:
        """Cancel the running turn (or every running turn); True if one was running."""
        if conversation_id is not None:
            handle = self._running.get(conversation_id)
            return handle is not None and handle.cancel()
        return any([handle.cancel() for handle in list(self._running.values())])

    # -- memory ---------------------------------------------------------------
    def _maybe_learn(self, user_id: str) -> None:
        if not self.profile or self.learn_every <= 0 or self._provider is None:
            return
        task = asyncio.get_running_loop().create_task(self._learn(user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _learn(self, user_id: str) -> None:
        log_ = self._store
        if log_ is None:
            return
        try:
            count = await log_.count_events(type="user", user_id=user_id)
            if count == 0 or count % self.learn_every:
                return
            from silcrow.agent.profile import learn_profile

            if self._provider is not None:
                await learn_profile(self._provider, log_, user_id)
        except Exception:
            log.exception("profile update failed")

    # -- teardown -------------------------------------------------------------
    async def close_session(self) -> None:
        await self._warm.close()

    async def _keep(self) -> None:
        """Step 5: wait until cancelled (by ``aclose`` or at the loop's end), then release.

        Only a cancellation releases: a loop closed without cancelling its tasks
        (no ``asyncio.run``) leaves nothing to await on.
        """
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await self._release()
            raise

    async def aclose(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is None or keeper.done():
            await self._release()
            return
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)

    async def _release(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._warm.close()
        if self._owns_mcp and isinstance(self._mcp, McpManager):
            await self._mcp.aclose()
        if self._provider is not None:
            with contextlib.suppress(Exception):
                await self._provider.aclose()
        await self._models.aclose()
        self._provider = None  # the next turn (in another event loop) builds it again
        self._tools = None
        if self._owns_store and self._store is not None:
            await self._store.close()
            self._store = None


class _Body:
    """The agent's side of a ``TurnHandle``: run the turn, store its last events."""

    def __init__(self, agent: Agent, spec: TurnSpec) -> None:
        self._agent = agent
        self._spec = spec

    async def run(self) -> AsyncGenerator[Event, None]:
        agent, spec = self._agent, self._spec
        await agent.ready()
        log_ = await agent._conversation(spec)
        if spec.context:  # filled in once, stored with the user event (silcrow.agent.context)
            spec = replace(spec, context=await resolve_context(spec.context, agent.workspace))
        model = spec.model or await chosen_model(log_, spec.conversation_id)
        runner = await agent._runner(log_, spec, model)
        async with contextlib.aclosing(runner.run(spec)) as events:
            async for event in events:
                yield event

    async def store_final(self, events: Sequence[Event]) -> list[Event]:
        log_ = await self._agent._conversation(self._spec)
        return await log_.append_many(events)

    async def on_cancel(self) -> None:
        await self._agent._warm.close()
