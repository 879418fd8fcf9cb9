"""The change gate: where a workspace hands a file change to the running turn.

The turn (``silcrow.agent.changes.TurnChanges``) sets ``GATE`` while a tool
call runs. ``LocalWorkspace.write_text`` then does not write by itself: it
gives the gate the file's current text and a ``Store`` function that writes,
and the gate decides - record a checkpoint, then write at once, or hold the
change for the user's review. ``read_text`` asks the gate first, so a call
reads what an earlier call of the same cycle proposed (``held``).

With no gate set (a library workspace used directly, a revert) a workspace
writes as it always did.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

Store = Callable[[Path, str], Awaitable[None]]
"""The workspace's own write of a checked path (``LocalWorkspace.store_text``)."""


class Absent:
    """``ChangeGate.held`` of a path nothing is held for (the workspace reads it itself)."""


ABSENT = Absent()


class ChangeGate(Protocol):
    @property
    def reviewing(self) -> bool:
        """True when changes wait for the user's review (a review is the approval)."""
        ...

    def held(self, real: Path) -> str | Absent:
        """The text held for ``real`` (proposed, not yet applied), or ``ABSENT``."""
        ...

    async def write(self, real: Path, old: str | None, new: str, store: Store) -> None:
        """Change ``real`` from ``old`` (None: no file) to ``new``: now, or after review."""
        ...


GATE: contextvars.ContextVar[ChangeGate | None] = contextvars.ContextVar(
    "silcrow_change_gate", default=None
)
