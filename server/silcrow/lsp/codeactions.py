"""Code actions on a selection and the commands they run.

* ``open_source(workspace, uri)``: the text of a document the client has
  open, or None. A code action on any other URI gets no actions: the disk
  is never read for it (pygls' ``get_text_document`` would read any file the
  URI names, inside the workspace folders or not).
* ``actions_for(uri, range, text)``: "Ask Silcrow about this…", "Explain
  this", "Fix this" (kind ``refactor``) for a non-empty selection, each a
  command ``silcrow.ask`` / ``silcrow.explain`` / ``silcrow.fix`` with one
  argument ``{uri, range, text, diagnostics?}``: the diagnostics the code
  action request carried (the problems at the selection), when there are any.
* ``command_request(command, arguments)``: the ``PromptParams`` a command
  runs, with the selection (and its ``diagnostics`` item) as context.
  ``question`` in the argument becomes the prompt; ``silcrow.ask`` without
  one asks for an explanation; ``chatMode`` and ``model`` pass through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from silcrow.agent.context import range_text
from silcrow.lsp.contract import PromptParams, prompt_params, to_json

ASK, EXPLAIN, FIX = "silcrow.ask", "silcrow.explain", "silcrow.fix"
COMMANDS = (ASK, EXPLAIN, FIX)

_TITLES = {ASK: "Ask Silcrow about this…", EXPLAIN: "Explain this", FIX: "Fix this"}
_PROMPTS = {
    ASK: "Explain the selected code.",
    EXPLAIN: "Explain the selected code: what it does, how, and anything surprising.",
    FIX: "Find the bugs in the selected code and fix them in the file.",
}


def is_empty(rng: t.Range) -> bool:
    return rng.start.line == rng.end.line and rng.start.character == rng.end.character


def range_json(rng: t.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


def selected_text(source: str, rng: t.Range) -> str:
    """The text inside ``rng`` (character offsets taken as code points; close enough for context)."""
    return range_text(source, range_json(rng))


def open_source(workspace: Any, uri: str) -> str | None:
    """The buffer text of ``uri`` if the client opened it (pygls keys documents unquoted); else None."""
    try:
        documents = workspace.text_documents
    except RuntimeError:  # not initialized yet
        return None
    doc = documents.get(unquote(uri))
    return None if doc is None else str(doc.source)


def actions_for(
    uri: str, rng: t.Range, text: str, diagnostics: Sequence[t.Diagnostic] = ()
) -> list[t.CodeAction]:
    if is_empty(rng):
        return []
    argument: dict[str, object] = {"uri": uri, "range": range_json(rng), "text": text}
    if diagnostics:  # the problems the editor reports at the selection go with it
        argument["diagnostics"] = [to_json(d) for d in diagnostics]
    return [
        t.CodeAction(
            title=_TITLES[name],
            kind=t.CodeActionKind.Refactor,
            command=t.Command(title=_TITLES[name], command=name, arguments=[argument]),
        )
        for name in COMMANDS
    ]


def command_request(command: str, arguments: Sequence[object] | None) -> PromptParams:
    if command not in COMMANDS:
        raise JsonRpcInvalidParams(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
    arg = arguments[0] if arguments else None
    if not isinstance(arg, dict) or not isinstance(arg.get("uri"), str):
        raise JsonRpcInvalidParams(
            f"{command} takes one argument {{uri, range, text, question?}} (the selection)"
        )
    selection = {k: arg[k] for k in ("uri", "range", "text") if arg.get(k) is not None}
    context: list[object] = [selection]
    if arg.get("diagnostics"):
        context.append(
            {"kind": "diagnostics", "uri": arg["uri"], "diagnostics": arg["diagnostics"]}
        )
    question = arg.get("question")
    text = question if isinstance(question, str) and question.strip() else _PROMPTS[command]
    raw: dict[str, object] = {"text": text, "context": context}
    passed = ("conversationId", "chunks", "workspaceUri", "chatMode", "model")
    raw |= {k: arg[k] for k in passed if arg.get(k) is not None}
    return prompt_params(raw, command)
