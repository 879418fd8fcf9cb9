"""Work-done progress for one turn: begin with the prompt, report the step, end.

Algorithm:
1. ``start()`` (a background task, so the turn never waits on the client)
   creates a server-initiated token with ``window/workDoneProgress/create``
   (or uses the request's ``workDoneToken``), then sends ``begin``.
2. ``step(event)`` maps an event to a short label ("thinking",
   "responding", "running shell"...) and sends ``report`` only when the
   label changes, and only after ``begin`` went out.
3. ``finish(reason)`` waits for ``start`` and sends ``end``.
4. A client's ``window/workDoneProgress/cancel`` for the token calls
   ``on_cancel`` (the turn registry cancels the turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from silcrow.protocol.events import Event

log = logging.getLogger(__name__)


def step_label(event: Event) -> str | None:
    if event.type == "think":
        return "thinking"
    if event.type == "respond":
        return "responding"
    if event.type == "call":
        name = (event.payload or {}).get("name")
        return f"running {name}" if name else "running a tool"
    return None


class TurnProgress:
    def __init__(
        self,
        server: LanguageServer,
        *,
        enabled: bool,
        title: str,
        on_cancel: Callable[[], None],
        token: str | int | None = None,
    ) -> None:
        self._server = server
        self._enabled = enabled or token is not None
        self._client_token = token is not None
        self._token = token if token is not None else f"silcrow-{uuid.uuid4().hex}"
        self._title = title
        self._on_cancel = on_cancel
        self._label: str | None = None
        self._started: asyncio.Task[bool] | None = None

    def start(self) -> None:
        if self._enabled:
            self._started = asyncio.ensure_future(self._begin())

    async def _begin(self) -> bool:
        progress = self._server.work_done_progress
        try:
            if not self._client_token:
                await progress.create_async(self._token)
            progress.begin(
                self._token,
                t.WorkDoneProgressBegin(
                    title="Silcrow",
                    message=self._title,
                    cancellable=True,
                ),
            )
        except Exception as exc:  # a client without progress support is fine
            log.info("work-done progress unavailable: %s", exc)
            return False
        future: Future[Any] | None = progress.tokens.get(self._token)
        if future is not None:
            future.add_done_callback(lambda f: self._on_cancel() if f.cancelled() else None)
        return True

    def _began(self) -> bool:
        s = self._started
        return s is not None and s.done() and not s.cancelled() and s.result()

    def step(self, event: Event) -> None:
        label = step_label(event)
        if label is None or label == self._label or not self._began():
            return
        self._label = label
        self._server.work_done_progress.report(self._token, t.WorkDoneProgressReport(message=label))

    async def finish(self, reason: str) -> None:
        if self._started is None:
            return
        began = False
        with contextlib.suppress(Exception):
            began = await self._started
        if began:
            self._server.work_done_progress.end(self._token, t.WorkDoneProgressEnd(message=reason))
        tokens = self._server.work_done_progress.tokens
        future = tokens.pop(self._token, None)
        if future is not None and not future.done():
            future.set_result(None)
