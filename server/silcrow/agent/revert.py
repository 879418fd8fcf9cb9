"""Reverting turns: every file a turn (and every later turn) changed goes back.

Owns ``revert(...)``, which every front-end calls (``silcrow/revert`` in
the daemon), and the notice the model reads afterwards.

Algorithm:
1. The checkpoints of the turn and of every later turn
   (``CheckpointSource.since``; an unknown turn is a ``ValueError``). Per
   file: the text before the first of those turns that changed it
   (``before``, None: it did not exist) and what the last of them left
   (``after``).
2. Conflicts, by content: a file whose text now (buffer, else disk; None
   when it is gone) differs from ``after`` (compared as
   ``store.checkpoints.content_digest``) was changed since by someone else,
   as is a file that is no longer inside the workspace's write policy, or
   whose earlier text held a secret and was kept only in the memory of a
   daemon since restarted (``lost``). With any conflict and no ``force``,
   nothing is restored and the conflicts are returned. With ``force`` the
   changed files are overwritten too; files outside the write policy and
   lost ones are left (and returned).
3. Otherwise each file whose text differs from ``before`` is restored
   through the workspace (the editor's ``workspace/applyEdit`` where the
   client has it; a file the turn created is removed), the reverted turns'
   checkpoints are forgotten, and a ``user`` notice is stored under a turn
   id of its own, so the model reads at its next turn which files went
   back and re-reads them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from silcrow.agent.eventlog import EventLog
from silcrow.protocol.events import Event
from silcrow.store.checkpoints import content_digest
from silcrow.tools.base import ToolError
from silcrow.tools.local import LocalWorkspace


class CheckpointRow(Protocol):
    @property
    def turn_id(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def before(self) -> str | None: ...
    @property
    def after(self) -> str | None: ...
    @property
    def lost(self) -> bool: ...


class CheckpointSource(Protocol):
    async def since(self, conversation_id: str, turn_id: str) -> Sequence[CheckpointRow]: ...

    async def forget(self, conversation_id: str, turn_ids: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class RevertOutcome:
    reverted: list[Path] = field(default_factory=list)
    conflicts: list[Path] = field(default_factory=list)
    notice: Event | None = None  # the stored notice, for the front-end to show


@dataclass(slots=True)
class _File:
    before: str | None
    after: str | None  # a content digest
    lost: bool = False


async def revert(
    checkpoints: CheckpointSource,
    store: EventLog,
    workspace: LocalWorkspace,
    conversation_id: str,
    turn_id: str,
    *,
    force: bool = False,
    name: Callable[[Path], str] = str,
) -> RevertOutcome:
    """Steps 1-3; ``name`` is how a file is named in the stored notice (a URI in the daemon)."""
    rows = await checkpoints.since(conversation_id, turn_id)
    files: dict[Path, _File] = {}
    for row in rows:  # oldest first: the first row keeps ``before``, the last gives ``after``
        path = Path(row.path)
        if path in files:
            files[path].after = row.after
        else:
            files[path] = _File(row.before, row.after, row.lost)
    now = {path: await _current(workspace, path) for path in files}
    kept = {p for p, f in files.items() if now[p] is _OUTSIDE or f.lost}  # never restored
    conflicts = [p for p, f in files.items() if p in kept or _digest(now[p]) != f.after]
    if conflicts and not force:
        return RevertOutcome(conflicts=conflicts)
    restored, skipped = [], [p for p in conflicts if p in kept]
    for path, f in files.items():
        if path in kept:
            continue
        if now[path] != f.before:
            if f.before is None:
                await workspace.remove(path)
            else:
                await workspace.store_text(path, f.before)
        restored.append(path)
    await checkpoints.forget(conversation_id, sorted({row.turn_id for row in rows}))
    if not restored:
        return RevertOutcome(conflicts=skipped)
    text = (
        "The user reverted your changes: these files are back to their content before "
        f"turn {turn_id} and every later turn: {', '.join(name(p) for p in restored)}. "
        "Read them again before you rely on or edit them."
    )
    payload = {"notice": True, "revert": {"turnId": turn_id, "files": [name(p) for p in restored]}}
    notice = await store.append(
        Event("user", text, payload, conversation_id, f"revert-{uuid.uuid4().hex[:12]}")
    )
    return RevertOutcome(restored, skipped, notice)


class _Outside:
    """A file the workspace may no longer write (moved policy, a symlink now): a conflict."""


_OUTSIDE = _Outside()


def _digest(text: str | _Outside | None) -> str | None:
    return content_digest(text) if not isinstance(text, _Outside) else None


async def _current(workspace: LocalWorkspace, path: Path) -> str | _Outside | None:
    try:
        real = workspace.check_write(str(path))
        if real != path:
            return _OUTSIDE
        if not await workspace.exists(real):
            return None
        return await workspace.current_text(real, str(path))
    except ToolError:
        return _OUTSIDE
