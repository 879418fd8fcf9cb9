"""The daemon's state for one client connection, and its lifecycle.

``Daemon`` owns the ``Editor`` adapter, the ``SessionManager`` (one session
per workspace folder) and the ``TurnRegistry`` of running turns; LSP handlers
(``silcrow.lsp.handlers``) are thin adapters over it. ``send_event`` sends
each stored event as ``silcrow/event``; a client without Silcrow's UI also
gets the turn as log lines and one summary (``silcrow.lsp.plainview``), and
an aborted-cycle record saying live sessions are unavailable becomes one
Info message per reason, naming the ``mode`` setting in the client's words.

Algorithm (lifecycle):
1. ``initialize`` -> ``on_initialize``: client flags, settings from
   ``initializationOptions``, one session per workspace folder, and a
   watchdog that polls the client's ``processId`` every second.
2. ``initialized`` / ``didChangeConfiguration`` -> ``refresh_settings``:
   pushed ``settings`` (an object) become the user's layer; then
   ``workspace/configuration`` (section ``silcrow``, per folder) when the
   client supports it, of which only the folder settings are used
   (``settings.FOLDER_SETTINGS``: never permissions, provider or tools).
3. ``stop(code)`` (stdin EOF, ``exit``, dead parent, SIGTERM) sets the stop
   event; ``close()`` then cancels running turns, waits briefly for their
   final events, kills shell commands (process groups) and closes agents
   and the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from silcrow.lsp.editor import ClientFlags, Editor
from silcrow.lsp.plainview import PlainTurn
from silcrow.lsp.progress import TurnProgress
from silcrow.lsp.sessions import SessionManager, WorkspaceSession
from silcrow.lsp.turns import RunningPrompt, TurnRegistry
from silcrow.protocol.events import Event
from silcrow.providers.demo import setting_words

log = logging.getLogger(__name__)

WATCHDOG_PERIOD = 1.0
DRAIN_SECONDS = 2.0


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Daemon:
    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.editor = Editor(server)
        self.sessions = SessionManager(self.editor)
        self.turns = TurnRegistry(self.sessions, self.send_event, self._progress)
        self.stopped = asyncio.Event()
        self.exit_code = 0
        self._plain_turns: dict[str, PlainTurn] = {}
        self._said: set[str] = set()
        self._watchdog: asyncio.Task[None] | None = None

    # -- events ---------------------------------------------------------------
    def send_event(self, event: Event) -> None:
        self.server.protocol.notify("silcrow/event", event.to_json())
        unavailable = (event.payload or {}).get("live_unavailable")
        if event.type == "metric" and unavailable:
            self._live_unavailable(str(unavailable))
        if not self.editor.flags.ui:
            self._plain(event)

    def _plain(self, event: Event) -> None:
        """A client without Silcrow's UI: the turn in its log, then one summary message."""
        turn = self._plain_turns.setdefault(event.turn_id, PlainTurn())
        for line in turn.feed(event):
            self.editor.log(line)
        if turn.summary is not None:
            del self._plain_turns[event.turn_id]
            self.editor.show(turn.summary[1], turn.summary[0])

    def _live_unavailable(self, reason: str) -> None:
        """Said once per reason (provider and endpoint), quietly: auto mode goes on by replay."""
        if reason in self._said:
            return
        self._said.add(reason)
        fix = setting_words(self.editor.client_name, "mode", "replay")
        self.editor.show(
            f"Silcrow: live sessions are not available here ({reason}); using one request "
            f"per step (replay) from now on. To skip the attempt, set {fix}.",
            t.MessageType.Info,
        )

    def _progress(self, turn: RunningPrompt) -> TurnProgress:
        text = turn.params.text.strip()
        title = text.splitlines()[0][:80] if text else ""
        return TurnProgress(
            self.server,
            enabled=self.editor.flags.progress,
            title=title,
            on_cancel=lambda: self._cancel_quietly(turn.conversation_id),
            token=turn.params.work_done_token,
        )

    def _cancel_quietly(self, conversation_id: str) -> None:
        self.turns.cancel(conversation_id)

    @staticmethod
    def default_chunks(session: WorkspaceSession) -> bool:
        return session.settings.streaming == "token"

    # -- initialize and settings ------------------------------------------------
    def on_initialize(self, params: t.InitializeParams) -> None:
        self.editor.flags = ClientFlags.from_capabilities(params.capabilities)
        self.editor.client_name = params.client_info.name if params.client_info else None
        self.sessions.init_options = params.initialization_options or {}
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        for uri in folders:
            self.sessions.add_folder(uri)
        if params.process_id:
            self.watch_parent(params.process_id)

    async def refresh_settings(self, pushed: Any = None) -> None:
        """Re-read settings; prompts that arrive meanwhile wait for it (``sessions.config_lock``)."""
        async with self.sessions.config_lock:
            await self._refresh_settings(pushed)

    async def _refresh_settings(self, pushed: Any) -> None:
        self.sessions.configure_user(pushed)
        if self.editor.flags.configuration and self.sessions.sessions:
            uris = list(self.sessions.sessions)
            items = [t.ConfigurationItem(scope_uri=uri, section="silcrow") for uri in uris]
            try:
                answers = await self.server.workspace_configuration_async(
                    t.ConfigurationParams(items=items)
                )
            except Exception as exc:
                log.warning("workspace/configuration failed: %s", exc)
                self.sessions.reapply()
                return
            for uri, answer in zip(uris, answers, strict=False):
                self.sessions.configure(uri, answer)
        else:
            self.sessions.reapply()

    # -- lifecycle ---------------------------------------------------------------
    def watch_parent(self, pid: int) -> None:
        if self._watchdog is None:
            self._watchdog = asyncio.ensure_future(self._watch_parent(pid))

    async def _watch_parent(self, pid: int) -> None:
        while process_alive(pid):  # noqa: ASYNC110 - polling another process has no event
            await asyncio.sleep(WATCHDOG_PERIOD)
        log.warning("the client process %s is gone; exiting", pid)
        self.stop(1)

    def stop(self, code: int = 0) -> None:
        if not self.stopped.is_set():
            self.exit_code = code
            self.stopped.set()

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.turns.cancel_all()
        await self.turns.drain(DRAIN_SECONDS)
        with contextlib.suppress(Exception):
            await self.sessions.aclose()
