"""LSP handlers: each a few lines adapting a message to the ``Daemon``.

Standard methods: initialize, initialized, didChangeConfiguration,
didChangeWorkspaceFolders, codeAction, shutdown (``workspace/executeCommand``
is routed by ``SilcrowProtocol`` into ``execute_command`` below).
Custom methods: ``silcrow/prompt``, ``silcrow/cancel``,
``silcrow/conversations``, ``silcrow/history``, ``silcrow/doctor``,
``silcrow/mcpServers``, ``silcrow/mcpApprove``, ``silcrow/mentions``,
``silcrow/models``, and the
notification ``silcrow/terminal/output`` (see docs/protocol.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from silcrow.lsp import codeactions
from silcrow.lsp.contract import (
    CancelParams,
    CancelResult,
    CommandResult,
    ConversationInfo,
    ConversationsParams,
    ConversationsResult,
    DoctorCheck,
    DoctorParams,
    DoctorResult,
    HistoryParams,
    HistoryResult,
    McpApproveParams,
    McpServersParams,
    McpServersResult,
    MentionsParams,
    MentionsResult,
    PromptParams,
    PromptResult,
    TerminalOutputParams,
)
from silcrow.lsp.contract_context import ModelsParams, ModelsResult
from silcrow.lsp.daemon import Daemon
from silcrow.lsp.mentions import mentions as find_mentions
from silcrow.lsp.modellist import models_for
from silcrow.lsp.sessions import UnknownWorkspace
from silcrow.lsp.turns import UnknownConversationError, UnknownWorkspaceError

if TYPE_CHECKING:
    from silcrow.store.records import Conversation

MAX_LIST = 500
DEFAULT_LIST = 50


def conversation_info(conv: Conversation) -> ConversationInfo:
    return ConversationInfo(
        id=conv.id,
        title=conv.title,
        workspace=conv.workspace,
        created_at=conv.created_at,
        updated_at=conv.updated_at,
    )


async def execute_command(daemon: Daemon, params: t.ExecuteCommandParams) -> CommandResult:
    """Starts the turn and answers at once; the turn streams as ``silcrow/event`` as usual."""
    request = codeactions.command_request(params.command, params.arguments)
    cid = await daemon.turns.start(request, daemon.default_chunks)
    return CommandResult(conversation_id=cid)


def register(server: LanguageServer, daemon: Daemon) -> None:
    @server.feature(t.INITIALIZE)
    def initialize(params: t.InitializeParams) -> None:
        daemon.on_initialize(params)

    @server.feature(t.INITIALIZED)
    async def initialized(params: t.InitializedParams) -> None:
        await daemon.refresh_settings()

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: t.DidChangeConfigurationParams) -> None:
        await daemon.refresh_settings(params.settings)

    @server.feature(t.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(params: t.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.removed:
            await daemon.sessions.remove_folder(folder.uri)
        for folder in params.event.added:
            daemon.sessions.add_folder(folder.uri)
        await daemon.refresh_settings()

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: t.DidOpenTextDocumentParams) -> None:
        """pygls keeps the buffer; registering makes open/close sync advertised."""

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: t.DidCloseTextDocumentParams) -> None:
        """pygls drops the buffer."""

    @server.feature(
        t.TEXT_DOCUMENT_CODE_ACTION,
        t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.Refactor]),
    )
    def code_action(params: t.CodeActionParams) -> list[t.CodeAction]:
        uri = params.text_document.uri
        if codeactions.is_empty(params.range):
            return []
        source = codeactions.open_source(server.workspace, uri)
        if source is None:  # never opened by the client: no actions, and no read from disk
            return []
        text = codeactions.selected_text(source, params.range)
        return codeactions.actions_for(uri, params.range, text, params.context.diagnostics)

    for name in codeactions.COMMANDS:
        # Registered so initialize advertises them; SilcrowProtocol runs them.
        server.command(name)(_unreachable)

    @server.feature(t.SHUTDOWN)
    def shutdown(params: None) -> None:
        daemon.turns.cancel_all()

    @server.feature("silcrow/prompt")
    async def prompt(params: PromptParams) -> PromptResult:
        return await daemon.turns.run(params, daemon.default_chunks)

    @server.feature("silcrow/cancel")
    def cancel(params: CancelParams) -> CancelResult:
        return CancelResult(cancelled=daemon.turns.cancel(params.conversation_id))

    @server.feature("silcrow/conversations")
    async def conversations(params: ConversationsParams) -> ConversationsResult:
        limit = min(params.limit or DEFAULT_LIST, MAX_LIST)
        store = await daemon.sessions.store()
        uri = params.workspace_uri
        uris: list[str | None] = [uri] if uri else [*daemon.sessions.sessions] or [None]
        found: list[Conversation] = []
        for workspace in uris:
            found += await store.list_conversations(workspace=workspace, limit=limit)
        found.sort(key=lambda c: c.updated_at, reverse=True)
        return ConversationsResult([conversation_info(c) for c in found[:limit]])

    @server.feature("silcrow/terminal/output")
    def terminal_output(params: TerminalOutputParams | None) -> None:
        if params is not None:
            daemon.editor.terminal.output(params.run_id, params.data)

    @server.feature("silcrow/history")
    async def history(params: HistoryParams) -> HistoryResult:
        cid = params.conversation_id
        store = await daemon.sessions.store()
        conv = await store.get_conversation(cid)
        if conv is None:
            raise UnknownConversationError(
                f"no conversation {cid}; list them with silcrow/conversations",
                data={"conversationId": cid},
            )
        events = await store.events(cid)
        return HistoryResult(conversation_info(conv), [e.to_json() for e in events])

    @server.feature("silcrow/doctor")
    async def doctor(params: DoctorParams) -> DoctorResult:
        from silcrow.providers.doctor import diagnose

        try:
            s = daemon.sessions.settings_for(params.workspace_uri)
        except UnknownWorkspace as exc:
            raise UnknownWorkspaceError(str(exc)) from None
        checks = await diagnose(
            s.provider,
            model=s.model or None,
            api_key_env=s.api_key_env or None,
            base_url=s.base_url or None,
            mode=s.mode,
        )
        return DoctorResult([DoctorCheck(c.name, c.ok, c.detail, c.fix) for c in checks])

    @server.feature("silcrow/mcpServers")
    async def mcp_servers(params: McpServersParams) -> McpServersResult:
        return McpServersResult(await daemon.sessions.mcp_status(params.workspace_uri))

    @server.feature("silcrow/mcpApprove")
    async def mcp_approve(params: McpApproveParams) -> McpServersResult:
        return McpServersResult(
            await daemon.sessions.mcp_approve(params.workspace_uri, params.name)
        )

    @server.feature("silcrow/mentions")
    def mentions(params: MentionsParams) -> MentionsResult:
        return find_mentions(daemon.sessions, params)

    @server.feature("silcrow/models")
    async def models(params: ModelsParams) -> ModelsResult:
        try:
            s = daemon.sessions.settings_for(params.workspace_uri)
        except UnknownWorkspace as exc:
            raise UnknownWorkspaceError(str(exc)) from None
        return await models_for(s)


def _unreachable(*args: object) -> None:  # pragma: no cover - SilcrowProtocol intercepts
    raise JsonRpcInvalidParams("this command runs through workspace/executeCommand")
