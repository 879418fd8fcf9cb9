"""Review and checkpoints on the wire: typed params and results (docs/protocol.md).

Owns the shapes of ``silcrow/review`` (server -> client request, only to
clients that declared ``experimental.silcrow.review``), ``silcrow/checkpoints``
and ``silcrow/revert`` (client -> server requests), and how a client's answer
to ``silcrow/review`` is read.

Algorithm:
1. ``ReviewParams`` goes out before anything changes on disk or in a buffer:
   one entry per file the model changed in one cycle (``kind`` create, edit
   or delete; ``oldText`` null for create, ``newText`` null for delete).
2. ``review_answer(raw, asked)`` reads the answer: per asked URI the text
   the user accepted, or ``None`` for rejected (``null``, a file left out,
   a URI that was not asked, an answer that is not ``{files: [...]}``, an
   error answer). URIs are compared unescaped (``%3A`` and ``:`` alike). A malformed answer is logged naming what is wrong and
   rejects everything: nothing the user did not accept is ever written.
3. ``CheckpointsParams`` / ``RevertParams`` arrive through
   ``silcrow.lsp.contract`` (registered in its ``MESSAGE_TYPES``), so they
   are checked as strictly as every other request.
"""

from __future__ import annotations

import logging
from typing import Literal
from urllib.parse import unquote

import attrs

log = logging.getLogger(__name__)

ReviewKind = Literal["create", "edit", "delete"]
ReviewSetting = Literal["ask", "auto"]


@attrs.define(frozen=True)
class ReviewFile:
    """One proposed file change: its whole text before and after."""

    uri: str
    kind: ReviewKind
    old_text: str | None  # None for "create"
    new_text: str | None  # None for "delete"


@attrs.define(frozen=True)
class ReviewParams:
    conversation_id: str
    turn_id: str
    files: list[ReviewFile]


@attrs.define(frozen=True)
class CheckpointsParams:
    conversation_id: str


@attrs.define(frozen=True)
class CheckpointInfo:
    """A turn that changed files: when its first change came, and which files it changed."""

    turn_id: str
    time: float
    files: list[str]  # URIs


@attrs.define(frozen=True)
class CheckpointsResult:
    checkpoints: list[CheckpointInfo]


@attrs.define(frozen=True)
class RevertParams:
    conversation_id: str
    turn_id: str
    force: bool | None = None  # True: overwrite files the user changed since (the conflicts)


@attrs.define(frozen=True)
class RevertResult:
    """``reverted``: every file restored; ``conflicts``: files left alone (nothing restored)."""

    reverted: list[str]
    conflicts: list[str]


@attrs.define(frozen=True)
class CheckpointsRequest:
    id: int | str
    params: CheckpointsParams
    method: Literal["silcrow/checkpoints"] = "silcrow/checkpoints"
    jsonrpc: str = "2.0"


@attrs.define(frozen=True)
class RevertRequest:
    id: int | str
    params: RevertParams
    method: Literal["silcrow/revert"] = "silcrow/revert"
    jsonrpc: str = "2.0"


REVIEW_METHOD = "silcrow/review"


def review_answer(raw: object, asked: list[str]) -> dict[str, str | None]:
    """Step 2: per asked URI the accepted text or ``None``; anything malformed rejects all."""
    verdicts: dict[str, str | None] = dict.fromkeys(asked)
    spelled = {unquote(uri): uri for uri in asked}  # a client may escape a URI differently
    files = raw.get("files") if isinstance(raw, dict) else None
    if not isinstance(files, list):
        log.warning(
            "%s answered %r; expected {files: [{uri, newText}]}: all rejected", REVIEW_METHOD, raw
        )
        return verdicts
    for entry in files:
        uri = entry.get("uri") if isinstance(entry, dict) else None
        text = entry.get("newText") if isinstance(entry, dict) else None
        if not isinstance(uri, str) or (text is not None and not isinstance(text, str)):
            log.warning(
                "%s answered the entry %r; expected {uri: string, newText: string | null}: "
                "all rejected",
                REVIEW_METHOD,
                entry,
            )
            return dict.fromkeys(asked)
        if unquote(uri) not in spelled:
            log.warning("%s answered for %s, which was not asked; ignored", REVIEW_METHOD, uri)
            continue
        verdicts[spelled[unquote(uri)]] = text
    return verdicts
