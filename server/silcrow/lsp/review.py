"""The daemon's side of review and checkpoints: ``silcrow/review`` out, checkpoints and revert in.

Owns:

* ``EditorReviewer``: the agent's ``Reviewer`` for one workspace folder.
  ``active()`` when the client declared ``experimental.silcrow.review`` and
  the folder's ``review`` setting is "ask"; ``review(request)`` sends one
  ``silcrow/review`` and reads the answer (``review_answer``: anything
  malformed rejects all). Cancelling the turn stops the wait and sends the
  client ``$/cancelRequest`` with the review's id, so it closes its review
  UI; a late answer is ignored.
* ``checkpoints(...)`` / ``revert(...)``: the two requests, on the store's
  ``checkpoints`` table and ``silcrow.agent.revert`` (a revert while the
  conversation has a running turn is refused: cancel it first).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from silcrow.agent.changes import ReviewRequest
from silcrow.lsp.contract import to_json
from silcrow.lsp.editor import Editor, path_uri
from silcrow.lsp.plain import as_plain
from silcrow.lsp.review_contract import (
    REVIEW_METHOD,
    CheckpointInfo,
    CheckpointsResult,
    RevertParams,
    RevertResult,
    ReviewFile,
    ReviewParams,
    ReviewSetting,
    review_answer,
)
from silcrow.lsp.turns import UnknownConversationError, busy_error

if TYPE_CHECKING:
    from silcrow.lsp.daemon import Daemon


class EditorReviewer:
    def __init__(self, editor: Editor, setting: Callable[[], ReviewSetting]) -> None:
        self.editor = editor
        self.setting = setting

    def active(self) -> bool:
        return self.editor.flags.review and self.setting() == "ask"

    async def review(self, request: ReviewRequest) -> Mapping[Path, str | None]:
        files = [ReviewFile(path_uri(p.path), p.kind, p.old, p.new) for p in request.files]
        params = ReviewParams(request.conversation_id, request.turn_id, files)
        protocol = self.editor.server.protocol
        msg_id = f"review-{uuid.uuid4().hex}"
        pending = protocol.send_request_async(REVIEW_METHOD, to_json(params), msg_id=msg_id)
        try:
            # Shielded: a late answer must find its request still waiting (it is then ignored).
            raw = await asyncio.shield(pending)
        except asyncio.CancelledError:
            protocol.notify(
                "$/cancelRequest", t.CancelParams(id=msg_id)
            )  # the client closes its review
            raise
        verdicts = review_answer(as_plain(raw), [f.uri for f in files])
        return {p.path: verdicts[f.uri] for p, f in zip(request.files, files, strict=True)}


async def checkpoints(daemon: Daemon, conversation_id: str) -> CheckpointsResult:
    store = await daemon.sessions.store()
    if await store.get_conversation(conversation_id) is None:
        raise _unknown(conversation_id)
    turns: dict[str, CheckpointInfo] = {}
    for row in await store.checkpoints.of(conversation_id):
        info = turns.setdefault(row.turn_id, CheckpointInfo(row.turn_id, row.time, []))
        info.files.append(path_uri(Path(row.path)))
    return CheckpointsResult(list(turns.values()))


async def revert(daemon: Daemon, params: RevertParams) -> RevertResult:
    from silcrow.agent.revert import revert as revert_turns

    cid = params.conversation_id
    store = await daemon.sessions.store()
    if await store.get_conversation(cid) is None:
        raise _unknown(cid)
    if cid in daemon.turns.running:
        raise busy_error(cid)
    session = await daemon.sessions.pick(None, cid, [])
    try:
        outcome = await revert_turns(
            store.checkpoints, store, session.workspace(), cid, params.turn_id,
            force=params.force is True, name=path_uri,
        )  # fmt: skip
    except ValueError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    if outcome.notice is not None:
        daemon.send_event(outcome.notice)
    return RevertResult(
        [path_uri(p) for p in outcome.reverted], [path_uri(p) for p in outcome.conflicts]
    )


def _unknown(conversation_id: str) -> UnknownConversationError:
    return UnknownConversationError(
        f"no conversation {conversation_id}; list them with silcrow/conversations",
        data={"conversationId": conversation_id},
    )
