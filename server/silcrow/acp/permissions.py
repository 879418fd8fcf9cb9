"""Permission questions as ACP ``session/request_permission``.

The executor asks (``AskFn``) when the policy says "ask"; this module puts
the question to the client on the running tool call, with the four ACP
option kinds:

* ``allow_once`` / ``allow_always``: returned as they are; the policy
  remembers "always" exactly as in the daemon (a tool, a web host, a
  simple-command prefix while the sandbox is on).
* ``reject_once``: a rejection.
* ``reject_always``: a rejection, and calls with the same key are rejected
  without asking for the rest of the session: the exact command for
  ``shell``, the host for ``scrape``, the tool name otherwise.
* a cancelled question (the client answers ``cancelled`` after
  ``session/cancel``) or a failed request is a rejection.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from acp.interfaces import Client
from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate

from silcrow.tools.base import Decision, PermissionRequest
from silcrow.tools.visible import terminal_safe

log = logging.getLogger(__name__)

OPTIONS: tuple[PermissionOption, ...] = (
    PermissionOption(option_id="allow_once", name="Allow once", kind="allow_once"),
    PermissionOption(option_id="allow_always", name="Allow always", kind="allow_always"),
    PermissionOption(option_id="reject_once", name="Reject", kind="reject_once"),
    PermissionOption(option_id="reject_always", name="Reject always", kind="reject_always"),
)
CallId = Callable[[str, Mapping[str, Any]], Awaitable[str]]


def rejection_key(request: PermissionRequest) -> str:
    """What "reject always" covers for this request."""
    if request.category == "shell":
        return f"shell:{request.args.get('command', '')}"
    if request.tool == "scrape":
        return f"scrape:{(urlsplit(str(request.args.get('url', ''))).hostname or '').lower()}"
    return request.tool


class PermissionAsker:
    """The ``AskFn`` of one ACP session."""

    def __init__(self, client: Client, session_id: str, call_id: CallId) -> None:
        self.client = client
        self.session_id = session_id
        self.call_id = call_id
        self.rejected: set[str] = set()

    async def __call__(self, request: PermissionRequest) -> Decision:
        key = rejection_key(request)
        if key in self.rejected:
            return "reject"
        call = ToolCallUpdate(
            tool_call_id=await self.call_id(request.tool, request.args),
            title=terminal_safe(request.summary, keep_newlines=False),
            status="pending",
        )
        try:
            answer = await self.client.request_permission(
                session_id=self.session_id, tool_call=call, options=list(OPTIONS)
            )
        except Exception as exc:  # an error answer counts as a rejection
            log.warning("session/request_permission failed (%s); treating it as reject", exc)
            return "reject"
        chosen = answer.outcome.option_id if isinstance(answer.outcome, AllowedOutcome) else None
        if chosen == "reject_always":
            self.rejected.add(key)
        if chosen == "allow_once":
            return "allow_once"
        if chosen == "allow_always":
            return "allow_always"
        return "reject"
