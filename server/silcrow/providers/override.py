"""A provider that stands in for every named one, for tests of code built on Silcrow.

``silcrow.testing.override(provider)`` sets it for the ``with`` block (and
the tasks started inside it, which copy the context): every provider built
from a name or URL (``Agent(llm="openai")``, ``make_provider("auto")``)
is ``provider`` instead, so a script written for a real vendor runs
unchanged against the scripted fake and never reaches the network. A
``Provider`` object passed explicitly is used as given.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from silcrow.providers.base import Provider

STAND_IN: contextvars.ContextVar[Provider | None] = contextvars.ContextVar(
    "silcrow_provider_stand_in", default=None
)


@contextlib.contextmanager
def override(provider: Provider) -> Iterator[Provider]:
    """Every provider built by name inside the block is ``provider``."""
    token = STAND_IN.set(provider)
    try:
        yield provider
    finally:
        STAND_IN.reset(token)


def stand_in() -> Provider | None:
    return STAND_IN.get()
