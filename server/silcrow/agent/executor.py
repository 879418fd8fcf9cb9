"""The tool executor: one call in, one ``ToolResult`` out, never an exception.

Algorithm:
1. A malformed call, an unknown tool or arguments that do not fit the tool's
   ``execute`` signature become an error result telling the model what to
   write instead. Cogency's argument names for the built-ins are rewritten
   first (``silcrow.tools.aliases``); a custom tool whose ``execute`` names
   ``user_id``, ``sandbox_dir`` or ``access`` gets them from the agent
   (``silcrow.tools.custom``).
2. A tool the chat mode withholds (``ask``/``plan``: only the read-only
   tools, ``silcrow.protocol.modes``) is refused without running or asking.
   The permission policy decides allow / ask / deny for the tool's category;
   "ask" goes to the ``ask`` callback (the editor or terminal); "allow
   always" is remembered by the policy; an ``edit`` call the user will
   review (the turn's change gate is reviewing) is not asked first, unless
   it is a sensitive write (always asked, ``silcrow.tools.sensitive``); a rejection or denial is an error
   result the model sees, and the tool does not run. With nobody to ask (no
   ``ask`` callback: a library agent), a ``custom`` tool runs, as in
   Cogency: whoever wrote it is the one running it.
3. The tool runs with ``ToolContext`` set (conversation, user, turn) and
   under a deadline (``silcrow.tools.deadline``): ``deadline`` seconds
   (default 60), none for ``shell``, which enforces its own ``timeout``.
   Overrunning it is an error result naming the deadline; whatever the
   call leaves running in a worker thread is abandoned when the call ends
   (deadline, error, cancellation), so it stops at its next checkpoint.
   ``ToolError`` becomes an error result with its message; any other
   exception is logged and reported as a crash of that tool.
4. Outcome and content are made valid UTF-8 (a name read from disk may
   carry undecodable bytes; they are shown as ``\\xNN``), redacted (known
   secret formats) and capped before anyone stores or sends them.
   Cancellation propagates: the caller decides what to record.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from silcrow.agent.changes import held_for_review
from silcrow.protocol.events import CallToken
from silcrow.protocol.modes import ChatMode
from silcrow.protocol.modes import offered as offered_names
from silcrow.protocol.modes import refusal as mode_refusal
from silcrow.tools.aliases import translate
from silcrow.tools.base import (
    CURRENT,
    AskFn,
    Decision,
    PermissionRequest,
    Tool,
    ToolContext,
    ToolError,
    ToolRejected,
    ToolResult,
)
from silcrow.tools.changes import GATE
from silcrow.tools.custom import arg_spec, context_args
from silcrow.tools.deadline import DEADLINE, Deadline, deadline_message
from silcrow.tools.redact import redact
from silcrow.tools.text import cap_text
from silcrow.tools.undecodable import valid_utf8

log = logging.getLogger(__name__)

CALL_SHAPE = '{"name": "<tool>", "args": {...}}'
TOOL_DEADLINE = 60.0  # seconds; every tool but shell (its own timeout applies)
OWN_TIMEOUT = frozenset({"shell"})


class Policy(Protocol):
    def check(self, tool: Tool, args: dict[str, Any]) -> str: ...

    def remember(
        self, tool: Tool, args: dict[str, Any], decision: Decision = "allow_always"
    ) -> None: ...

    def request(
        self, tool: Tool, args: dict[str, Any], conversation_id: str
    ) -> PermissionRequest: ...

    def sensitive(self, tool: Tool, args: dict[str, Any]) -> str | None: ...


def _error(outcome: str, content: str) -> ToolResult:
    return ToolResult(outcome=outcome, content=content, error=True)


def _valid(result: ToolResult) -> ToolResult:
    """The result with text that encodes as UTF-8 (see ``silcrow.tools.undecodable``)."""
    return ToolResult(valid_utf8(result.outcome), valid_utf8(result.content), result.error)


class Executor:
    def __init__(
        self,
        tools: Sequence[Tool],
        *,
        policy: Policy | None = None,
        ask: AskFn | None = None,
        result_cap: int = 64_000,
        outcome_cap: int = 300,
        deadline: float = TOOL_DEADLINE,
        context: Mapping[str, object] | None = None,
        mode: ChatMode = "agent",
    ) -> None:
        self.tools = {tool.name: tool for tool in tools}
        self.mode = mode  # ask/plan: only the read-only tools run (step 2)
        self.context = dict(context or {})  # sandbox_dir, access: for custom tools that name them
        self.policy = policy
        self.ask = ask
        self.result_cap = result_cap
        self.outcome_cap = outcome_cap
        self.deadline = deadline

    def tool_for(self, token: CallToken) -> Tool | None:
        return self.tools.get(token.call.name) if token.call is not None else None

    async def run(self, token: CallToken, ctx: ToolContext) -> ToolResult:
        result = _valid(await self._run(token, ctx))
        outcome, _ = cap_text(redact(result.outcome), self.outcome_cap)
        content, _ = cap_text(redact(result.content), self.result_cap, keep="headtail")
        return ToolResult(outcome=outcome, content=content, error=result.error)

    async def _run(self, token: CallToken, ctx: ToolContext) -> ToolResult:
        call = token.call
        if call is None:
            return _error(
                "Malformed tool call",
                f"Your §call could not be parsed: {token.error}. Write exactly one JSON object "
                f"after §call: such as {CALL_SHAPE}, then §execute.",
            )
        tool = self.tools.get(call.name)
        if tool is None:
            names = ", ".join(sorted(self.offered())) or "(none)"
            return _error(
                f"Unknown tool {call.name!r}", f"There is no tool {call.name!r}. Tools: {names}."
            )
        try:
            tool, args = translate(self.tools, tool, call.args)
        except ToolError as exc:
            return _error(f"Bad arguments for {tool.name}", str(exc))
        if tool.name not in self.offered():
            return _error(*mode_refusal(self.mode, tool.name))
        given = context_args(tool, {**self.context, "user_id": ctx.given_user_id})
        problem = _bad_arguments(tool, {**args, **given})
        if problem:
            return _error(f"Bad arguments for {tool.name}", problem)
        refusal = await self._permit(tool, args, ctx)
        if refusal is not None:
            return refusal
        token_ctx = CURRENT.set(ctx)
        seconds = self.deadline_for(tool)
        deadline = Deadline(seconds)
        token_deadline = DEADLINE.set(deadline)
        timer = asyncio.timeout(seconds)
        try:
            async with timer:
                return await tool.execute(**{**args, **given})
        except ToolRejected as exc:
            return exc.result(tool.name)
        except ToolError as exc:
            return _error(f"{tool.name} failed", str(exc))
        except Exception as exc:  # a tool bug must not end the turn
            if isinstance(exc, TimeoutError) and timer.expired():
                return _error(
                    f"{tool.name} ran past its {seconds:g} s deadline", deadline_message(seconds)
                )
            log.exception("tool %s crashed", tool.name)
            return _error(f"{tool.name} crashed", f"The tool crashed: {type(exc).__name__}: {exc}")
        finally:
            deadline.abandon()
            DEADLINE.reset(token_deadline)
            CURRENT.reset(token_ctx)

    def offered(self) -> list[str]:
        """The names of the tools this turn's chat mode offers."""
        return offered_names(self.mode, list(self.tools))

    def deadline_for(self, tool: Tool) -> float | None:
        """Seconds ``tool`` may run; ``None`` for tools that enforce their own timeout."""
        return None if tool.name in OWN_TIMEOUT else self.deadline

    async def _permit(
        self, tool: Tool, args: dict[str, Any], ctx: ToolContext
    ) -> ToolResult | None:
        if self.policy is None:
            return None
        verdict = self.policy.check(tool, args)
        if verdict == "allow":
            return None
        gate = GATE.get()
        reviewed = held_for_review(tool) and gate is not None and gate.reviewing
        if verdict == "ask" and reviewed and not self.policy.sensitive(tool, args):
            return None  # the user reviews the change itself: that is the approval
        if verdict == "deny":
            return _error(
                f"{tool.name} denied by policy",
                f"The user's settings deny {tool.category} tools ({tool.name}). "
                "Do not retry; continue without it or ask the user to change the setting.",
            )
        if self.ask is None and tool.category == "custom":
            return None
        request = self.policy.request(tool, args, ctx.conversation_id)
        if self.ask is None:
            return _error(
                f"{tool.name} needs approval",
                f"{request.summary} needs the user's approval and nobody can be asked here. "
                "Continue without it or tell the user what you wanted to run.",
            )
        decision = await self.ask(request)
        if decision == "reject":
            return _error(
                f"{tool.name} rejected by the user",
                f"The user rejected: {request.summary}. Do not run it again; "
                "ask the user what they want instead.",
            )
        if decision in ("allow_always", "allow_server"):
            self.policy.remember(tool, args, decision)
        return None


def _bad_arguments(tool: Tool, args: dict[str, Any]) -> str | None:
    try:
        inspect.signature(tool.execute).bind(**args)
    except TypeError as exc:
        return f"{exc}. The arguments of {tool.name} are: {arg_spec(tool)}"
    return None
