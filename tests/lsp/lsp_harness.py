"""End-to-end harness (helpers; fixtures are in conftest.py): a real ``silcrow serve`` subprocess driven by pytest-lsp's client.

``Daemon`` starts the server with a private store (``SILCROW_DB``), the
scripted fake provider configured through ``initializationOptions``
(``fakeScript``, test-only) and a client that records ``silcrow/event``
notifications, answers ``workspace/applyEdit`` (pytest-lsp does not by
default; an applied edit's text is kept as the buffer), permission requests
and ``silcrow/saveDocuments`` (which writes those buffers in place, as an
editor saves, so a test can tell the editor's write from the daemon's).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from silcrow.chat import plain

CLIENTS = ("neovim", "visual-studio-code")
SERVE = [sys.executable, "-m", "silcrow.cli", "serve"]


EVENTUALLY_S = 30.0  # generous for a loaded 2-core machine; a healthy wait takes well under 1 s


async def eventually(condition: Callable[[], bool], within: float = EVENTUALLY_S) -> None:
    """Wait until ``condition()`` holds; fail the test after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while not condition():  # noqa: ASYNC110 - polling a file or process, no event to await
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"condition still false after {within:g} s: {condition}") from None


def call(name: str, **args: Any) -> str:
    import json

    return f"§call: {json.dumps({'name': name, 'args': args})}\n§execute\n"


def respond(text: str) -> str:
    return f"§respond: {text}\n§end\n"


@dataclass
class Daemon:
    client: LanguageClient
    root: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    edits: list[t.ApplyWorkspaceEditParams] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    saves: list[list[str]] = field(default_factory=list)
    buffers: dict[str, str] = field(default_factory=dict)  # uri -> text of applied edits
    decision: str = "allow_once"
    apply_ok: bool = True

    @property
    def uri(self) -> str:
        return self.root.as_uri()

    async def prompt(self, text: str, **params: Any) -> dict[str, Any]:
        result = await self.client.protocol.send_request_async(
            "silcrow/prompt", {"text": text, **params}
        )
        return plain(result)

    async def request(self, method: str, params: Any) -> Any:
        return plain(await self.client.protocol.send_request_async(method, params))

    def of(self, conversation_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["conversationId"] == conversation_id]

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        await eventually(lambda: any(predicate(e) for e in self.events))
        return next(e for e in self.events if predicate(e))

    async def code_actions(self, uri: str, rng: t.Range) -> list[dict[str, Any]]:
        """Raw code actions: the client's own union structuring turns CodeAction into Command."""
        params = t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=t.CodeActionContext(diagnostics=[]),
        )
        result = await self.request(t.TEXT_DOCUMENT_CODE_ACTION, params)
        return list(result or [])

    def open(self, name: str, text: str, version: int = 1) -> str:
        uri = (self.root / name).as_uri()
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                text_document=t.TextDocumentItem(
                    uri=uri, language_id="python", version=version, text=text
                )
            )
        )
        return uri


def _wire(d: Daemon) -> None:
    client = d.client
    typed = client.protocol.get_result_type
    client.protocol.get_result_type = (  # type: ignore[method-assign]
        lambda method: None if method == t.TEXT_DOCUMENT_CODE_ACTION else typed(method)
    )

    @client.feature("silcrow/event")
    def on_event(params: Any) -> None:
        d.events.append(plain(params))

    @client.feature(t.WORKSPACE_APPLY_EDIT)
    def on_apply(params: t.ApplyWorkspaceEditParams) -> t.ApplyWorkspaceEditResult:
        d.edits.append(params)
        if d.apply_ok:
            for change in params.edit.document_changes or ():
                if isinstance(change, t.TextDocumentEdit) and len(change.edits) == 1:
                    d.buffers[change.text_document.uri] = change.edits[0].new_text
            return t.ApplyWorkspaceEditResult(applied=True)
        return t.ApplyWorkspaceEditResult(applied=False, failure_reason="buffer is read-only")

    @client.feature("silcrow/requestPermission")
    def on_permission(params: Any) -> dict[str, Any]:
        d.permissions.append(plain(params))
        return {"optionId": d.decision}

    @client.feature(t.WINDOW_SHOW_MESSAGE_REQUEST)
    def on_message_request(params: t.ShowMessageRequestParams) -> t.MessageActionItem | None:
        d.permissions.append({"message": params.message})
        titles = {"allow_once": "Allow once", "allow_always": "Allow always", "reject": "Reject"}
        return t.MessageActionItem(title=titles[d.decision])

    @client.feature("silcrow/saveDocuments")
    def on_save(params: Any) -> dict[str, Any]:
        uris = plain(params)["uris"]
        d.saves.append(uris)
        for uri in uris:
            if uri in d.buffers:
                path = Path(uri.removeprefix("file://"))
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("w") as fh:  # in place, as an editor saves: the inode stays
                    fh.write(d.buffers[uri])
        return {"saved": uris}


def _capabilities(
    kind: str, base: t.ClientCapabilities | None = None, **silcrow: bool
) -> t.ClientCapabilities:
    caps = base or client_capabilities(kind)
    if silcrow:
        caps.experimental = {"silcrow": silcrow}
    return caps


async def start_daemon(
    root: Path,
    db: Path,
    *,
    kind: str = "visual-studio-code",
    settings: dict[str, Any] | None = None,
    folders: list[Path] | None = None,
    env: dict[str, str] | None = None,
    silcrow: dict[str, bool] | None = None,
    process_id: int | None = None,
    client_name: str | None = None,
    capabilities: t.ClientCapabilities | None = None,
) -> Daemon:
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
    server_env.update({"SILCROW_DB": str(db), **(env or {})})
    config = ClientServerConfig(server_command=SERVE, server_env=server_env)
    client = await config.start()
    daemon = Daemon(client=client, root=root)
    _wire(daemon)
    folders = folders or [root]
    await client.initialize_session(
        t.InitializeParams(
            capabilities=_capabilities(kind, capabilities, **(silcrow or {})),
            process_id=process_id or os.getpid(),
            client_info=t.ClientInfo(name=client_name) if client_name else None,
            root_uri=folders[0].as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
            initialization_options={"provider": "fake", **(settings or {})},
        )
    )
    return daemon


async def stop_daemon(daemon: Daemon) -> None:
    try:
        await asyncio.wait_for(daemon.client.shutdown_session(), 10)
    finally:
        await daemon.client.stop()
