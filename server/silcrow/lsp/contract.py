"""The daemon's own JSON-RPC methods as typed messages (docs/protocol.md).

Owns the params and results of ``silcrow/prompt``, ``silcrow/cancel``,
``silcrow/conversations``, ``silcrow/history``, ``silcrow/doctor``,
``silcrow/mcpServers``, ``silcrow/mcpApprove``, ``silcrow/mentions`` and
``silcrow/models`` as attrs classes (the context items, chat modes and model
types live in ``silcrow.lsp.contract_context``), and how a request for one
of them is checked.

Algorithm:
1. ``MESSAGE_TYPES`` / ``RESULT_TYPES`` map each method to its request and
   result class; ``SilcrowProtocol.get_message_type`` /
   ``get_result_type`` return them, so handlers receive typed params and
   return typed results (pygls' converter writes field names camelCase
   and omits ``None``).
2. ``structure_request(data)`` turns a request dict into its typed
   message with a strict converter (a copy of pygls', where a string,
   boolean or integer field takes only that JSON type, never a
   conversion), then applies the rules types cannot say (``text`` not
   blank, each context item complete: ``check_context``). Anything wrong
   is a ``JsonRpcInvalidParams`` whose message names the field
   (``"context" is invalid: ...``).
3. ``structure_notification(data)``: the same for the client's one
   notification, ``silcrow/terminal/output``; a notification has no answer
   to carry an error, so params that do not fit are logged (naming the
   field) and arrive as ``None``, which the handler drops.
"""

import logging
import types
import typing
from typing import Literal

import attrs
import cattrs
from cattrs.errors import ClassValidationError
from cattrs.gen import AttributeOverride, make_dict_structure_fn, override  # type: ignore[attr-defined]
from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import default_converter

from silcrow.lsp.contract_context import (
    ChatMode,
    ContextItem,
    ModelsParams,
    ModelsResult,
    check_context,
)

log = logging.getLogger(__name__)

StopReason = Literal["end", "cancelled", "max_iterations", "error"]
JSON = dict[str, object]


@attrs.define(frozen=True)
class PromptParams:
    text: str
    conversation_id: str | None = None
    context: list[ContextItem] = attrs.field(factory=list)
    chunks: bool | None = None
    workspace_uri: str | None = None
    work_done_token: int | str | None = None
    chat_mode: ChatMode | None = None  # None: "agent"
    model: str | None = None  # None: the conversation's last choice, else the setting


@attrs.define(frozen=True)
class PromptResult:
    conversation_id: str
    turn_id: str
    stop_reason: StopReason
    error: str | None = None


@attrs.define(frozen=True)
class CommandResult:
    """``workspace/executeCommand``'s answer: the turn's conversation; it streams on."""

    conversation_id: str


@attrs.define(frozen=True)
class CancelParams:
    conversation_id: str


@attrs.define(frozen=True)
class CancelResult:
    cancelled: bool


@attrs.define(frozen=True)
class ConversationsParams:
    workspace_uri: str | None = None
    limit: int | None = None


@attrs.define(frozen=True)
class ConversationInfo:
    id: str
    title: str
    workspace: str
    created_at: float
    updated_at: float


@attrs.define(frozen=True)
class ConversationsResult:
    conversations: list[ConversationInfo]


@attrs.define(frozen=True)
class HistoryParams:
    conversation_id: str


@attrs.define(frozen=True)
class HistoryResult:
    conversation: ConversationInfo
    events: list[JSON]  # each ``Event.to_json()``, the ``silcrow/event`` shape


@attrs.define(frozen=True)
class DoctorParams:
    workspace_uri: str | None = None


@attrs.define(frozen=True)
class McpServersParams:
    workspace_uri: str | None = None


@attrs.define(frozen=True)
class DoctorCheck:
    """One check of ``silcrow doctor``: ``name`` is key, endpoint, model or live."""

    name: str
    ok: bool
    detail: str
    fix: str


@attrs.define(frozen=True)
class DoctorResult:
    checks: list[DoctorCheck]


@attrs.define(frozen=True)
class McpApproveParams:
    name: str
    workspace_uri: str | None = None


@attrs.define(frozen=True)
class McpServerInfo:
    """One MCP server of a workspace folder (``silcrow.mcp.ServerStatus`` on the wire)."""

    workspace_uri: str
    name: str
    state: str  # needs_approval | starting | running | restarting | failed | stopped
    origin: str  # user | workspace
    command: str
    source: str
    detail: str
    tool_count: int
    tools: list[str]


@attrs.define(frozen=True)
class McpServersResult:
    servers: list[McpServerInfo]


@attrs.define(frozen=True)
class MentionsParams:
    query: str
    workspace_uri: str | None = None
    limit: int | None = None


MentionKind = Literal["file", "folder", "symbol"]


@attrs.define(frozen=True)
class Mention:
    """One completion for an ``@`` mention: a file or folder (a symbol carries ``range``)."""

    label: str
    uri: str
    kind: MentionKind
    range: t.Range | None = None


@attrs.define(frozen=True)
class MentionsResult:
    items: list[Mention]


@attrs.define(frozen=True)
class PromptRequest:
    id: int | str
    params: PromptParams
    method: Literal["silcrow/prompt"] = "silcrow/prompt"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class CancelRequest:
    id: int | str
    params: CancelParams
    method: Literal["silcrow/cancel"] = "silcrow/cancel"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class ConversationsRequest:
    id: int | str
    params: ConversationsParams = attrs.field(factory=ConversationsParams)
    method: Literal["silcrow/conversations"] = "silcrow/conversations"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class HistoryRequest:
    id: int | str
    params: HistoryParams
    method: Literal["silcrow/history"] = "silcrow/history"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class MentionsRequest:
    id: int | str
    params: MentionsParams
    method: Literal["silcrow/mentions"] = "silcrow/mentions"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class DoctorRequest:
    id: int | str
    params: DoctorParams = attrs.field(factory=DoctorParams)
    method: Literal["silcrow/doctor"] = "silcrow/doctor"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class McpServersRequest:
    id: int | str
    params: McpServersParams = attrs.field(factory=McpServersParams)
    method: Literal["silcrow/mcpServers"] = "silcrow/mcpServers"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class McpApproveRequest:
    id: int | str
    params: McpApproveParams
    method: Literal["silcrow/mcpApprove"] = "silcrow/mcpApprove"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class ModelsRequest:
    id: int | str
    params: ModelsParams = attrs.field(factory=ModelsParams)
    method: Literal["silcrow/models"] = "silcrow/models"
    jsonrpc: str = "2.0"


Request = (
    PromptRequest
    | CancelRequest
    | ConversationsRequest
    | HistoryRequest
    | DoctorRequest
    | McpServersRequest
    | McpApproveRequest
    | MentionsRequest
    | ModelsRequest
)


@attrs.define(frozen=True)
class TerminalOutputParams:
    """What a command run in the editor's terminal printed (``silcrow/terminal/output``)."""

    run_id: str
    data: str


@attrs.define(frozen=True)
class TerminalOutputNotification:
    params: TerminalOutputParams | None  # None: params that did not fit (logged)
    method: Literal["silcrow/terminal/output"] = "silcrow/terminal/output"
    jsonrpc: str = "2.0"


NOTIFICATION_TYPES: dict[str, type[TerminalOutputNotification]] = {
    "silcrow/terminal/output": TerminalOutputNotification,
}
MESSAGE_TYPES: dict[str, type[Request]] = {
    "silcrow/prompt": PromptRequest,
    "silcrow/cancel": CancelRequest,
    "silcrow/conversations": ConversationsRequest,
    "silcrow/history": HistoryRequest,
    "silcrow/doctor": DoctorRequest,
    "silcrow/mcpServers": McpServersRequest,
    "silcrow/mcpApprove": McpApproveRequest,
    "silcrow/mentions": MentionsRequest,
    "silcrow/models": ModelsRequest,
}
RESULT_TYPES: dict[str, type[object]] = {
    "silcrow/prompt": PromptResult,
    "silcrow/cancel": CancelResult,
    "silcrow/conversations": ConversationsResult,
    "silcrow/history": HistoryResult,
    "silcrow/doctor": DoctorResult,
    "silcrow/mcpServers": McpServersResult,
    "silcrow/mcpApprove": McpServersResult,
    "silcrow/mentions": MentionsResult,
    "silcrow/models": ModelsResult,
}

_NAMES = {str: "a string", bool: "a boolean", int: "an integer"}


def _check(value: object, kinds: tuple[type[object], ...]) -> object:
    if value is None and type(None) in kinds:
        return None
    if type(value) not in kinds:
        wanted = " or ".join(_NAMES[k] for k in kinds if k in _NAMES)
        raise TypeError(f"expected {wanted}, got {type(value).__name__}")
    return value


def _primitive_union(kind: object) -> bool:
    args = typing.get_args(kind)
    return typing.get_origin(kind) in (typing.Union, types.UnionType) and all(
        a in _NAMES or a is type(None) for a in args
    )


def _strict_converter() -> cattrs.Converter:
    converter: cattrs.Converter = default_converter().copy()  # type: ignore[no-untyped-call]
    for kind in _NAMES:
        converter.register_structure_hook(kind, lambda value, k: _check(value, (k,)))
    converter.register_structure_hook_func(
        _primitive_union, lambda value, k: _check(value, typing.get_args(k))
    )

    for cls in _OURS:  # built on this converter, not on pygls' lenient one
        renames: dict[str, AttributeOverride] = {
            a.name: override(rename=_camel(a.name)) for a in attrs.fields(cls)
        }
        converter.register_structure_hook(
            cls,
            make_dict_structure_fn(cls, converter, **renames),  # type: ignore[arg-type]
        )
    return converter


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_OURS = (  # inner classes first: an outer structure function captures the inner hooks
    ContextItem,
    PromptParams,
    CancelParams,
    ConversationsParams,
    HistoryParams,
    DoctorParams,
    McpServersParams,
    McpApproveParams,
    MentionsParams,
    ModelsParams,
    TerminalOutputParams,
    *MESSAGE_TYPES.values(),
)
_CONVERTER = _strict_converter()


def to_json(value: object) -> JSON:
    """The wire dict of a typed value (camelCase, no ``None`` fields)."""
    out = _CONVERTER.unstructure(value)
    assert isinstance(out, dict)
    return out


def structure_request(data: JSON) -> Request:
    """Step 2: the typed request, or ``JsonRpcInvalidParams`` naming the field."""
    method = str(data.get("method"))
    kind = MESSAGE_TYPES[method]
    if "params" in data and data["params"] is None:
        data = {k: v for k, v in data.items() if k != "params"}
    if not isinstance(data.get("params", {}), dict):
        raise JsonRpcInvalidParams(f"params of {method} must be an object; see docs/protocol.md")
    request = _structure(data, kind, method, under="params")
    if isinstance(request, PromptRequest):
        _check_prompt(request.params)
    return request


def structure_notification(data: JSON) -> TerminalOutputNotification:
    """Step 3: the typed notification; params that do not fit are logged and become ``None``."""
    method = str(data.get("method"))
    raw = data.get("params")
    try:
        if not isinstance(raw, dict):
            raise JsonRpcInvalidParams(
                f"params of {method} must be an object; see docs/protocol.md"
            )
        return TerminalOutputNotification(_structure(raw, TerminalOutputParams, method, under=None))
    except JsonRpcInvalidParams as exc:
        log.warning("dropped a %s notification: %s", method, exc.message)
        return TerminalOutputNotification(None)


def prompt_params(raw: JSON, source: str) -> PromptParams:
    """``PromptParams`` from a plain dict (a code-action command's argument), checked like a request."""
    params = _structure(raw, PromptParams, source, under=None)
    _check_prompt(params)
    return params


_K = typing.TypeVar("_K")


def _structure(data: JSON, kind: type[_K], source: str, *, under: str | None) -> _K:
    try:
        return _CONVERTER.structure(data, kind)
    except ClassValidationError as exc:
        raise JsonRpcInvalidParams(_explain(source, exc, under)) from None
    except Exception as exc:  # hostile input must not escape as anything but InvalidParams
        raise JsonRpcInvalidParams(f"params of {source} do not fit: {exc}") from None


def _check_prompt(params: PromptParams) -> None:
    if not params.text.strip():
        raise JsonRpcInvalidParams('"text" is required: a non-empty string (the user\'s message)')
    try:
        check_context(params.context)
    except ValueError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None


def _explain(method: str, exc: ClassValidationError, under: str | None) -> str:
    problems = cattrs.transform_error(exc, path="")
    if not problems:
        return f"params of {method} do not fit; see docs/protocol.md"
    detail, _, path = problems[0].rpartition(" @ ")
    parts = path.split(".")[1:]  # the leading "" of the root
    if under is not None:
        if not parts or parts[0] != under:
            return f"the {method} request is malformed: {detail} at {'.'.join(parts) or 'the top'}"
        parts = parts[1:]
    field = _camel(parts[0].split("[")[0]) if parts else "params"
    where = ".".join(_camel(part) for part in parts)
    if detail == "required field missing":
        return f'"{field}" is required for {method}'
    return f'"{field}" is invalid for {method}: {detail} at {where}'
