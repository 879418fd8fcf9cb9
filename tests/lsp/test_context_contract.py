"""The wire contract of context items, chat modes and model choice (docs/protocol.md)."""

from __future__ import annotations

import base64
import re

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from silcrow.lsp.contract import PromptRequest, structure_request, to_json
from silcrow.lsp.contract_context import MAX_IMAGE_BYTES, ContextItem

RANGE = {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}}


def prompt(**params: object) -> PromptRequest:
    request = structure_request(
        {"jsonrpc": "2.0", "id": 1, "method": "silcrow/prompt", "params": {"text": "hi", **params}}
    )
    assert isinstance(request, PromptRequest)
    return request


def test_every_kind_of_context_item_is_read_and_written_back_as_sent() -> None:
    items: list[dict[str, object]] = [
        {"kind": "file", "uri": "file:///w/a.py"},
        {"kind": "selection", "uri": "file:///w/a.py", "range": RANGE},
        {
            "kind": "diagnostics",
            "uri": "file:///w/a.py",
            "diagnostics": [{"range": RANGE, "message": "boom", "severity": 1}],
        },
        {"kind": "symbol", "uri": "file:///w/a.py", "range": RANGE, "name": "f"},
        {"kind": "image", "mimeType": "image/png", "data": base64.b64encode(b"png").decode()},
    ]
    request = prompt(context=items, chatMode="ask", model="gpt-5-mini")
    assert [i.effective_kind for i in request.params.context] == [
        "file",
        "selection",
        "diagnostics",
        "symbol",
        "image",
    ]
    assert request.params.chat_mode == "ask" and request.params.model == "gpt-5-mini"
    assert [to_json(i) for i in request.params.context] == items


def test_items_of_the_first_contract_still_work() -> None:
    request = prompt(context=[{"uri": "file:///w/a.py", "range": RANGE, "text": "x"}, {"uri": "u"}])
    selection, whole = request.params.context
    assert selection.effective_kind == "selection" and selection.text == "x"
    assert whole == ContextItem(uri="u") and whole.effective_kind == "file"


@pytest.mark.parametrize(
    ("item", "says"),
    [
        (
            {"kind": "symbol", "uri": "u", "range": RANGE},
            'context[0] of kind "symbol" needs "name"',
        ),
        ({"kind": "selection", "uri": "u"}, 'needs "range"'),
        ({"kind": "image", "data": "AA=="}, 'needs "mimeType"'),
        ({"kind": "image", "mimeType": "image/bmp", "data": "AA=="}, "image/png"),
        ({"kind": "image", "mimeType": "image/png", "data": "not base64!"}, "not base64"),
        ({"kind": "note", "uri": "u"}, '"context" is invalid'),
        ({"text": "floating"}, 'needs "kind"'),
    ],
)
def test_an_incomplete_item_is_invalid_params_naming_what_to_fix(
    item: dict[str, object], says: str
) -> None:
    with pytest.raises(JsonRpcInvalidParams, match=re.escape(says)):
        prompt(context=[item])


def test_an_image_over_the_limit_is_refused_with_the_limit() -> None:
    big = base64.b64encode(bytes(MAX_IMAGE_BYTES + 1)).decode()
    with pytest.raises(JsonRpcInvalidParams, match=str(MAX_IMAGE_BYTES)):
        prompt(context=[{"kind": "image", "mimeType": "image/png", "data": big}])


def test_an_unknown_chat_mode_is_invalid_params() -> None:
    with pytest.raises(JsonRpcInvalidParams, match='"chatMode"'):
        prompt(chatMode="yolo")


def test_fix_this_carries_the_diagnostics_of_the_code_action_request() -> None:
    from lsprotocol import types as t

    from silcrow.lsp.codeactions import actions_for, command_request

    rng = t.Range(start=t.Position(line=1, character=0), end=t.Position(line=2, character=0))
    diag = t.Diagnostic(
        range=rng, message="undefined name 'x'", severity=t.DiagnosticSeverity.Error, source="ruff"
    )
    fix = next(
        a for a in actions_for("file:///w/a.py", rng, "x\n", [diag]) if a.title == "Fix this"
    )
    assert fix.command is not None and fix.command.arguments is not None
    request = command_request("silcrow.fix", fix.command.arguments)
    selection, problems = request.context
    assert selection.effective_kind == "selection" and selection.text == "x\n"
    assert problems.effective_kind == "diagnostics" and problems.diagnostics == [diag]
