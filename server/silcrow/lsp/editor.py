"""The editor as the daemon's tools see it: buffers, edits, saves, permission prompts.

``Editor`` wraps the pygls server so the rest of ``silcrow.lsp`` never
builds LSP messages by hand:

* ``buffer(path)``: the open document's text and version, or None;
* ``apply_write(path, text, old_text)``: one ``workspace/applyEdit``
  (versioned for open documents, CreateFile + insert for new files); returns
  the editor's failure reason (an error answer counts as one) or None;
* ``apply_delete(path)``: one ``workspace/applyEdit`` with a ``DeleteFile``
  (a revert removing a file a turn created);
* ``save(paths)``: ``silcrow/saveDocuments`` for clients that declared it;
* ``read_file(path)``: ``silcrow/readFile`` for clients that declared
  ``readFile``: the editor's text of a file it has not opened, or None
  (not declared, an error answer, no answer within ``READ_TIMEOUT``, or not
  ``{text: string}``; the caller then reads the disk);
* ``terminal``: the ``EditorTerminal`` (``silcrow.lsp.terminal``) running
  shell commands in the client's terminal, for clients that declared it;
* ``ask(request)``: ``silcrow/requestPermission`` or ``window/showMessageRequest``;
  the summary goes out whole (the policy never cuts a shell command) with
  any control character escaped once more at this edge.

Capabilities come from ``initialize``; ``ClientFlags`` is the parsed view;
``client_name`` (``clientInfo.name``) picks the words messages use for it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from silcrow.lsp.plain import as_plain
from silcrow.lsp.terminal import EditorTerminal
from silcrow.tools.base import Decision, PermissionRequest
from silcrow.tools.mcpnames import server_of
from silcrow.tools.visible import terminal_safe

log = logging.getLogger(__name__)

READ_TIMEOUT = 10.0  # seconds a silcrow/readFile answer may take before the disk is read

PERMISSION_OPTIONS: tuple[tuple[Decision, str], ...] = (
    ("allow_once", "Allow once"),
    ("allow_always", "Allow always"),
    ("reject", "Reject"),
)


def permission_options(request: PermissionRequest) -> tuple[tuple[Decision, str], ...]:
    """The answers offered: for an MCP tool also "allow every tool of its server always"."""
    server = server_of(request.tool) if request.category == "mcp" else None
    if server is None:
        return PERMISSION_OPTIONS
    once, always, reject = PERMISSION_OPTIONS
    return (once, always, ("allow_server", f"Allow every {server} tool always"), reject)


@dataclass(frozen=True, slots=True)
class ClientFlags:
    ui: bool = False  # declared ``experimental.silcrow``: it renders ``silcrow/event``
    permissions: bool = False
    save_documents: bool = False
    read_file: bool = False
    terminal: bool = False
    review: bool = False  # ``silcrow/review`` before every file change (setting ``review``)
    apply_edit: bool = False
    configuration: bool = False
    progress: bool = False
    create_files: bool = False  # ``workspaceEdit.resourceOperations`` has "create"
    delete_files: bool = False  # ... has "delete" (a revert removing a file a turn created)

    @classmethod
    def from_capabilities(cls, caps: t.ClientCapabilities | None) -> ClientFlags:
        if caps is None:
            return cls()
        exp = as_plain(caps.experimental) if caps.experimental is not None else {}
        ours = exp.get("silcrow") if isinstance(exp, dict) else None
        ours = ours if isinstance(ours, dict) else {}
        ws, win = caps.workspace, caps.window
        edit = ws.workspace_edit if ws else None
        operations = [
            str(getattr(op, "value", op)) for op in (edit and edit.resource_operations) or ()
        ]
        return cls(
            ui=isinstance(exp, dict) and isinstance(exp.get("silcrow"), dict),
            permissions=ours.get("permissions") is True,
            save_documents=ours.get("saveDocuments") is True,
            read_file=ours.get("readFile") is True,
            terminal=ours.get("terminal") is True,
            review=ours.get("review") is True,
            apply_edit=bool(ws and ws.apply_edit),
            configuration=bool(ws and ws.configuration),
            progress=bool(win and win.work_done_progress),
            create_files="create" in operations,
            delete_files="delete" in operations,
        )


def path_uri(path: Path) -> str:
    return str(from_fs_path(str(path)))


def uri_path(uri: str) -> Path | None:
    fs = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(fs) if fs else None


class Editor:
    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.flags = ClientFlags()
        self.client_name: str | None = None  # initialize's clientInfo.name: its vocabulary
        self.terminal = EditorTerminal(server)

    # -- buffers -------------------------------------------------------------
    def _documents(self) -> dict[str, Any]:
        try:
            return dict(self.server.workspace.text_documents)
        except RuntimeError:  # not initialized yet
            return {}

    def buffer(self, path: Path) -> tuple[str, int | None] | None:
        """(text, version) of the open document for ``path``, or None."""
        doc = self._documents().get(unquote(path_uri(path)))
        if doc is None:
            for uri, candidate in self._documents().items():
                found = uri_path(uri)
                if found is not None and found.resolve() == path:
                    doc = candidate
                    break
        return None if doc is None else (doc.source, doc.version)

    def is_open(self, path: Path) -> bool:
        return self.buffer(path) is not None

    def open_paths(self) -> list[Path]:
        paths = (uri_path(uri) for uri in self._documents())
        return [p.resolve() for p in paths if p is not None]

    # -- edits ---------------------------------------------------------------
    async def apply_write(self, path: Path, text: str, old_text: str | None) -> str | None:
        """Send the write as one applyEdit; the failure reason, or None when applied."""
        uri = path_uri(path)
        buffer = self.buffer(path)
        current = buffer[0] if buffer is not None else old_text
        version = buffer[1] if buffer is not None else None
        changes: list[Any] = []
        if current is None:
            changes.append(
                t.CreateFile(uri=uri, options=t.CreateFileOptions(ignore_if_exists=True))
            )
        doc = t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        changes.append(
            t.TextDocumentEdit(
                text_document=doc,
                edits=[
                    t.TextEdit(range=whole_range(current or "", self._encoding()), new_text=text),
                ],
            )
        )
        params = t.ApplyWorkspaceEditParams(
            edit=t.WorkspaceEdit(document_changes=changes), label=f"Silcrow: write {path.name}"
        )
        return await self._apply(params)

    async def apply_delete(self, path: Path) -> str | None:
        """Delete a file as one applyEdit (``DeleteFile``); the failure reason, or None."""
        change = t.DeleteFile(
            uri=path_uri(path), options=t.DeleteFileOptions(ignore_if_not_exists=True)
        )
        return await self._apply(
            t.ApplyWorkspaceEditParams(
                edit=t.WorkspaceEdit(document_changes=[change]),
                label=f"Silcrow: delete {path.name}",
            )
        )

    async def _apply(self, params: t.ApplyWorkspaceEditParams) -> str | None:
        try:
            result = await self.server.workspace_apply_edit_async(params)
        except Exception as exc:  # an error answer: the editor declined it
            log.info("workspace/applyEdit answered with an error: %s", exc)
            return str(exc) or "the editor answered with an error"
        if result is not None and result.applied:
            return None
        reason = getattr(result, "failure_reason", None) if result is not None else None
        return reason or "the editor did not apply the edit"

    def _encoding(self) -> str:
        caps = getattr(self.server.protocol, "server_capabilities", None)
        encoding = getattr(caps, "position_encoding", None)
        return str(getattr(encoding, "value", encoding) or "utf-16")

    async def save(self, paths: list[Path]) -> list[str]:
        """Ask a ``saveDocuments`` client to save; the URIs it reports saved."""
        if not paths or not self.flags.save_documents:
            return []
        uris = [path_uri(p) for p in paths]
        try:
            result = await self.server.protocol.send_request_async(
                "silcrow/saveDocuments", {"uris": uris}
            )
        except Exception as exc:  # a client error must not fail the tool
            log.warning("silcrow/saveDocuments failed: %s", exc)
            return []
        saved = as_plain(result).get("saved") if isinstance(as_plain(result), dict) else None
        return [u for u in saved if isinstance(u, str)] if isinstance(saved, list) else []

    async def read_file(self, path: Path) -> str | None:
        """The client's text of ``path`` (``silcrow/readFile``), or None: read the disk instead."""
        if not self.flags.read_file:
            return None
        request = self.server.protocol.send_request_async(
            "silcrow/readFile", {"uri": path_uri(path)}
        )
        try:
            # Shielded: a late answer must find its request still waiting (it is then ignored).
            result = await asyncio.wait_for(asyncio.shield(request), READ_TIMEOUT)
        except Exception as exc:  # an error answer, or none in time: the disk has it
            log.info("silcrow/readFile for %s failed (%s); reading the disk", path, exc)
            return None
        text = as_plain(result).get("text") if isinstance(as_plain(result), dict) else None
        if not isinstance(text, str):
            log.warning('silcrow/readFile answered %r; expected {"text": string}', result)
            return None
        return text

    # -- permission ----------------------------------------------------------
    async def ask(self, request: PermissionRequest) -> Decision:
        try:
            if self.flags.permissions:
                return await self._ask_custom(request)
            return await self._ask_message(request)
        except Exception as exc:  # an error answer counts as a rejection
            log.warning("permission request failed (%s); treating it as reject", exc)
            return "reject"

    async def _ask_custom(self, request: PermissionRequest) -> Decision:
        options = permission_options(request)
        params = {
            "conversationId": request.conversation_id,
            "tool": request.tool,
            "category": request.category,
            "args": request.args,
            "summary": terminal_safe(request.summary, keep_newlines=False),
            "options": [{"optionId": oid, "name": name} for oid, name in options],
        }
        result = as_plain(
            await self.server.protocol.send_request_async("silcrow/requestPermission", params)
        )
        chosen = result.get("optionId") if isinstance(result, dict) else None
        return next((oid for oid, _ in options if oid == chosen), "reject")

    async def _ask_message(self, request: PermissionRequest) -> Decision:
        options = permission_options(request)
        params = t.ShowMessageRequestParams(
            type=t.MessageType.Warning,
            message=f"Silcrow wants to: {terminal_safe(request.summary, keep_newlines=False)}",
            actions=[t.MessageActionItem(title=name) for _, name in options],
        )
        answer = await self.server.window_show_message_request_async(params)
        title = getattr(answer, "title", None)
        return next((oid for oid, name in options if name == title), "reject")

    # -- messages ------------------------------------------------------------
    def show(self, message: str, kind: t.MessageType = t.MessageType.Warning) -> None:
        self.server.window_show_message(t.ShowMessageParams(type=kind, message=message))

    def log(self, message: str, kind: t.MessageType = t.MessageType.Info) -> None:
        self.server.window_log_message(t.LogMessageParams(type=kind, message=message))


def whole_range(text: str, encoding: str = "utf-16") -> t.Range:
    """The range covering all of ``text``, columns in the negotiated position encoding."""
    lines = text.split("\n")
    last = lines[-1]
    if encoding == "utf-8":
        width = len(last.encode("utf-8"))
    elif encoding == "utf-32":
        width = len(last)
    else:
        width = len(last.encode("utf-16-le")) // 2
    return t.Range(
        start=t.Position(line=0, character=0), end=t.Position(line=len(lines) - 1, character=width)
    )
