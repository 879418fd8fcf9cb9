"""``edit``: change part of a file - exact replacement, several at once, or a line range.

Exactly one form per call:
1. ``old`` + ``new`` (optional ``all``): replace the unique occurrence of
   ``old`` (or every one with ``all=true``).
2. ``edits: [{old, new}, ...]``: several replacements applied in order,
   atomically (one failure -> nothing written).
3. ``start`` + ``end`` + ``new``: replace lines ``start..end`` (inclusive,
   as numbered by ``read``); ``end = start - 1`` inserts. For large files.
The file is read and written through the workspace (editor buffers win).
A file that holds a secret (``redact`` changes its text) takes only the
line-range form: matching ``old`` against the real text would tell the model
whether its guess about the secret is right (found / not found), an oracle.
The refusal depends on the redacted text alone, so it tells nothing.
Matching, the nearest-lines hint and the diff run in a worker thread under
the call's deadline (``silcrow.tools.deadline``), each bounded in work
(``silcrow.tools.edits``), so a huge ``old`` cannot stall the daemon.
"""

from __future__ import annotations

from typing import Any, ClassVar

from silcrow.tools.base import ToolError, ToolResult, Workspace
from silcrow.tools.builtin._base import BuiltinTool, arg_schema, policy_for
from silcrow.tools.deadline import off_loop
from silcrow.tools.edits import Replacement, apply_all, diff_preview, replace_exact, replace_lines
from silcrow.tools.paths import relative
from silcrow.tools.redact import redact

FORMS = "give old+new, or edits=[{old,new},...], or start+end+new"


def _replacements(edits: list[Any]) -> list[Replacement]:
    if not edits:
        raise ToolError("edits is empty; " + FORMS)
    parsed = []
    for i, item in enumerate(edits, 1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("old"), str)
            or not isinstance(item.get("new"), str)
        ):
            raise ToolError(f"edits[{i}] must be an object with string fields old and new")
        parsed.append(Replacement(item["old"], item["new"]))
    return parsed


class EditTool(BuiltinTool):
    name = "edit"
    description = (
        "Change part of an existing file. Either old+new (old must match exactly once; "
        "all=true replaces every match), or edits=[{old,new},...] applied together, "
        "or start+end+new to replace a line range (inclusive; end=start-1 inserts before start)."
    )
    args: ClassVar = arg_schema(
        {
            "file": {"type": "string", "description": "path relative to the workspace root"},
            "old": {
                "type": "string",
                "description": "exact text to replace, with enough context to be unique",
            },
            "new": {"type": "string", "description": "replacement text"},
            "all": {"type": "boolean", "description": "replace every occurrence of old"},
            "edits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"old": {"type": "string"}, "new": {"type": "string"}},
                },
                "description": "several {old, new} replacements, applied in order, all or nothing",
            },
            "start": {"type": "integer", "description": "first line to replace (1-based)"},
            "end": {"type": "integer", "description": "last line to replace (inclusive)"},
        },
        ["file"],
    )
    category = "edit"
    idempotent = False

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    async def run(self, file: str, **form: Any) -> ToolResult:
        rel = relative(self.workspace.root, policy_for(self.workspace).for_write(file))
        before = await self.workspace.read_text(file)
        if form.get("start") is None and await off_loop(redact, before) != before:
            raise ToolError(
                f"{rel} holds a secret (shown as [redacted:...]); text matching is off for it: "
                "read it and edit by line range with start+end+new"
            )
        after = await off_loop(self._apply, before, form)
        await self.workspace.write_text(file, after)
        diff, added, removed = await off_loop(diff_preview, before, after, rel)
        return ToolResult(f"Edited {rel} (+{added} -{removed})", diff)

    @staticmethod
    def _apply(text: str, form: dict[str, Any]) -> str:
        keys = {k for k, v in form.items() if v is not None}
        if keys <= {"old", "new", "all"} and {"old", "new"} <= keys:
            return replace_exact(text, form["old"], form["new"], replace_all=bool(form.get("all")))
        if keys == {"edits"}:
            return apply_all(text, _replacements(form["edits"]))
        if keys == {"start", "end", "new"} or keys == {"start", "new"}:
            start = form["start"]
            return replace_lines(text, start, form.get("end", start), form["new"])
        raise ToolError(
            f"cannot tell which edit you mean from {sorted(keys) or 'no fields'}; " + FORMS
        )
