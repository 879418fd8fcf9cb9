"""A turn's file changes: checkpoints before each change, and the user's review.

Owns ``TurnChanges``, the change gate (``silcrow.tools.changes``) the turn
sets around each tool call, and the ports a front-end fills in
(``ChangeControl``: where checkpoints are stored, who reviews).

Algorithm:
1. ``reviewing`` is fixed when the turn starts: a reviewer is given and
   ``active()`` (the LSP client declared the capability and the setting is
   "ask"). Without it every change is applied at once (step 3).
2. Reviewing, ``write`` only holds the change: per file the text before the
   cycle's first change (kept) and the newest proposal, with the
   workspace's own ``store``. ``held`` serves it to later reads of the cycle.
   Nothing is written and no buffer changes.
3. ``_apply`` (a change applied at once, or an accepted one) records the
   checkpoint - the file's text before the turn's first change, and what
   the change leaves - then writes through the workspace's ``store``. A
   write that fails moves the checkpoint's ``after`` back.
4. ``review()`` sends every held file in one ``ReviewRequest`` and applies
   exactly the text the user accepted (an answer equal to the old text, or
   ``None``, writes nothing). A reviewer that fails rejects everything; a
   cancelled review (the turn stopped) writes nothing: everything pending is
   rejected. It returns one ``Verdict`` per file.
5. ``reviewed(result, verdicts)`` rewrites a held call's result for the
   model: accepted; rejected ("the file is unchanged"); or accepted in part,
   "the rest was rejected", with the diff from the proposal to the accepted
   text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from silcrow.protocol.events import CallToken
from silcrow.tools.base import Tool, ToolResult
from silcrow.tools.builtin._base import BuiltinTool
from silcrow.tools.changes import ABSENT, GATE, Absent, Store
from silcrow.tools.deadline import off_loop
from silcrow.tools.edits import diff_preview
from silcrow.tools.redact import redact

log = logging.getLogger(__name__)

ChangeKind = Literal["create", "edit", "delete"]


@dataclass(frozen=True, slots=True)
class Proposal:
    """One file as the user is asked to review it: its whole text before and after."""

    path: Path
    old: str | None  # None: the file does not exist yet
    new: str | None  # None: the file would be deleted

    @property
    def kind(self) -> ChangeKind:
        return "create" if self.old is None else "delete" if self.new is None else "edit"


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    conversation_id: str
    turn_id: str
    files: tuple[Proposal, ...]


class Reviewer(Protocol):
    def active(self) -> bool:
        """Whether changes wait for review now (asked when a turn starts)."""
        ...

    async def review(self, request: ReviewRequest) -> Mapping[Path, str | None]:
        """Per file the text the user accepted; ``None`` or absent: rejected."""
        ...


class CheckpointLog(Protocol):
    async def record(
        self,
        conversation_id: str,
        turn_id: str,
        path: str,
        before: str | None,
        after: str | None,
        *,
        secret: bool = False,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ChangeControl:
    """What a front-end supplies: where checkpoints go, who reviews (both optional)."""

    checkpoints: CheckpointLog | None = None
    reviewer: Reviewer | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    old: str | None
    proposed: str | None
    accepted: str | None  # None: rejected
    cancelled: bool = False
    failure: str | None = None  # the accepted text could not be applied (the editor declined)


Verdicts = Mapping[Path, Verdict]


@dataclass(slots=True)
class _Held:
    old: str | None
    new: str
    store: Store


@dataclass
class TurnChanges:
    control: ChangeControl
    conversation_id: str
    turn_id: str
    root: Path | None = None
    reviewing: bool = field(init=False)
    _held: dict[Path, _Held] = field(default_factory=dict, init=False)
    _decided: dict[Path, Verdict] = field(default_factory=dict, init=False)  # while applying
    _touched: set[Path] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        reviewer = self.control.reviewer
        self.reviewing = reviewer is not None and reviewer.active()  # step 1

    # -- the gate (silcrow.tools.changes.ChangeGate) ------------------------------
    def held(self, real: Path) -> str | Absent:
        held = self._held.get(real)
        return ABSENT if held is None else held.new

    async def write(self, real: Path, old: str | None, new: str, store: Store) -> None:
        if not self.reviewing:
            await self._apply(real, old, new, store)
            return
        earlier = self._held.get(real)
        self._held[real] = _Held(old if earlier is None else earlier.old, new, store)
        self._touched.add(real)

    # -- the turn's side ------------------------------------------------------------
    @contextlib.contextmanager
    def call(self) -> Iterator[set[Path]]:
        """Run one tool call with this gate set; yields the files it left held."""
        touched: set[Path] = set()
        self._touched = touched  # calls of a turn run one at a time
        if self.control.checkpoints is None and not self.reviewing:
            yield touched  # nothing to record or review: the workspace writes as it always did
            return
        token = GATE.set(self)
        try:
            yield touched
        finally:
            GATE.reset(token)

    async def review(self) -> dict[Path, Verdict]:
        """Step 4: one review of every held file; apply exactly what was accepted."""
        held = dict(self._held)  # kept until answered: a cancel rejects them (``cancelled``)
        if not held:
            return {}
        reviewer = self.control.reviewer
        assert reviewer is not None
        request = ReviewRequest(
            self.conversation_id,
            self.turn_id,
            tuple(Proposal(path, h.old, h.new) for path, h in held.items()),
        )
        try:
            answer: Mapping[Path, str | None] = await reviewer.review(request)
        except Exception as exc:  # a broken reviewer must never let a change through
            log.warning("the review failed (%s); every change of the cycle is rejected", exc)
            answer = {}
        verdicts: dict[Path, Verdict] = {}
        self._decided = verdicts  # a cancel while applying keeps what was decided (``cancelled``)
        for path, h in held.items():
            accepted = answer.get(path)
            failure = None
            if accepted is not None and accepted != h.old:
                try:
                    await self._apply(path, h.old, accepted, h.store)
                except Exception as exc:  # ToolError, OSError (a full disk), UnicodeEncodeError
                    failure, accepted = str(exc) or type(exc).__name__, None
            verdicts[path] = Verdict(h.old, h.new, accepted, failure=failure)
            del self._held[path]
        self._decided = {}
        return verdicts

    def cancelled(self) -> dict[Path, Verdict]:
        """The review was cancelled: what was applied stays as decided; every file still held is
        rejected, and nothing more is written."""
        done, self._decided = self._decided, {}
        held, self._held = self._held, {}
        return {**done, **{p: Verdict(h.old, h.new, None, cancelled=True) for p, h in held.items()}}

    async def _apply(self, real: Path, old: str | None, new: str, store: Store) -> None:
        """Step 3: checkpoint first, then the write."""
        log_ = self.control.checkpoints
        # a text holding a credential is never written to the store (store.checkpoints)
        secret = log_ is not None and old is not None and await off_loop(redact, old) != old
        if log_ is not None:
            await log_.record(
                self.conversation_id, self.turn_id, str(real), old, new, secret=secret
            )
        try:
            await store(real, new)
        except Exception:
            if log_ is not None:
                await log_.record(
                    self.conversation_id, self.turn_id, str(real), old, old, secret=secret
                )
            raise

    def name(self, path: Path) -> str:
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return str(path)


Held = tuple[CallToken, ToolResult, set[Path]]
"""A call whose result waits for the review: the call, its result, the files it left held."""
Review = tuple["TurnChanges", list[Held]]
"""What a turn's call runs with: the turn's changes and the results held so far."""


def held_for_review(tool: Tool) -> bool:
    """Whether ``tool``'s changes go through the review: the built-in edit tools only (a custom
    tool of category ``edit`` writes by itself, so it is asked and sees the disk like any other)."""
    return isinstance(tool, BuiltinTool) and tool.category == "edit"


def sees_disk(tool: Tool | None) -> bool:
    """Whether a call could see files on disk, so held changes must be reviewed before it."""
    return tool is None or not (held_for_review(tool) or tool.name == "read")


def reviewed(
    result: ToolResult, touched: set[Path], verdicts: Mapping[Path, Verdict], changes: TurnChanges
) -> ToolResult:
    """Step 5: the held call's result as the model and the user should see it."""
    if not touched:
        return result
    notes: list[str] = []
    states: set[str] = set()
    for path in sorted(touched):
        verdict = verdicts.get(path)
        if verdict is None:
            continue
        state, note = _verdict_note(changes.name(path), verdict)
        states.add(state)
        notes.append(note)
    if not notes:
        return result
    word = next(iter(states)) if len(states) == 1 else "partly accepted"
    content = "\n".join([f"Proposed for the user's review: {result.content}", *notes]).strip()
    return ToolResult(f"{result.outcome}: {word}", content, error=states == {"rejected"})


def _verdict_note(name: str, verdict: Verdict) -> tuple[str, str]:
    if verdict.cancelled:
        return "rejected", (
            f"The turn was stopped before the user accepted your change to {name}: "
            "it was rejected and the file is unchanged."
        )
    if verdict.failure is not None:
        return "rejected", f"Your change to {name} was rejected: {verdict.failure}"
    if verdict.accepted is None or verdict.accepted == verdict.old:
        return "rejected", (
            f"The user rejected your change to {name}; the file is unchanged. Do not make "
            "the same change again; ask the user what they want instead."
        )
    if verdict.accepted == verdict.proposed:
        return "accepted", f"The user accepted your change to {name}."
    diff, _, _ = diff_preview(verdict.proposed or "", verdict.accepted, name)
    return "partly accepted", (
        f"The user accepted part of your change to {name}; the rest was rejected. The file "
        "now holds the accepted text. The diff from what you proposed to what was "
        f"accepted:\n{diff}"
    )
