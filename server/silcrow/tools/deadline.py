"""Deadlines for tool work: checked cooperatively, also inside worker threads.

A thread cannot be killed, so work that runs off the event loop must stop by
itself once nobody waits for it any more. This module owns that contract.

Algorithm:
1. The executor opens ``Deadline(seconds)`` around each tool call and makes
   it the current one (``DEADLINE``, a context variable). ``asyncio.to_thread``
   copies the context, so a worker thread sees the deadline of the call that
   started it.
2. Loops that may run long (walking a tree, fuzzy matching, diffing) call
   ``checkpoint()`` every step or every few hundred steps. It raises
   ``DeadlineExceeded`` (a ``ToolError``, so the model sees the message) once
   the deadline has passed, or once the call was abandoned: the executor
   abandons the deadline when the call ends for any reason, including a
   cancelled turn or an exiting daemon, so an abandoned worker thread stops
   at its next checkpoint instead of burning a core unseen.
3. ``off_loop(fn, *args)`` runs synchronous work in a worker thread under the
   current deadline: the event loop keeps answering requests (cancel among
   them) while it runs. Work must not hold the GIL for long in one C call
   (Python's ``re`` does): regular expressions from the model or from files
   go to a linear-time engine (``re2``) instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from silcrow.tools.base import ToolError

P = ParamSpec("P")
R = TypeVar("R")


class DeadlineExceeded(ToolError):
    """A tool ran past its deadline or was abandoned; the message says which and what to do."""


class Deadline:
    """A point in time after which tool work must stop, plus an abandon switch."""

    def __init__(
        self, seconds: float | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._at = None if seconds is None else clock() + seconds
        self._abandoned = threading.Event()

    def abandon(self) -> None:
        """Nobody waits for the work any more (the call ended, was cancelled, or the daemon exits)."""
        self._abandoned.set()

    @property
    def abandoned(self) -> bool:
        return self._abandoned.is_set()

    def expired(self) -> bool:
        return self._at is not None and self._clock() >= self._at

    def check(self) -> None:
        if self._abandoned.is_set():
            raise DeadlineExceeded(
                "the tool call was abandoned (cancelled, or it ran past its deadline)"
            )
        if self.expired():
            raise DeadlineExceeded(deadline_message(self.seconds))


def deadline_message(seconds: float | None) -> str:
    return (
        f"the tool did not finish within its {seconds:g} s deadline and was stopped; "
        "narrow the call (a subfolder, a smaller depth, a shorter or more exact text) and try again"
    )


NO_DEADLINE = Deadline(None)
DEADLINE: contextvars.ContextVar[Deadline] = contextvars.ContextVar(
    "silcrow_tool_deadline", default=NO_DEADLINE
)


def current() -> Deadline:
    return DEADLINE.get()


def checkpoint() -> None:
    """Raise ``DeadlineExceeded`` if the current tool call is past its deadline or abandoned."""
    DEADLINE.get().check()


async def off_loop(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)`` in a worker thread under the current deadline (see step 3)."""
    return await asyncio.to_thread(fn, *args, **kwargs)
