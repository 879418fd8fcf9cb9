"""Scripted providers for tests of code built on Silcrow (no network).

``FakeProvider`` plays a ``Script`` of replies, in replay and resume mode;
``Ledger`` bills what it was sent the way vendors do. They live in
``silcrow.providers.scripted``, the provider the ``provider: "fake"``
setting selects; this module is their public name. ``override(provider)``
makes every provider built by name (``Agent(llm="openai")``) that one, so
code written for a real vendor is tested unchanged.
"""

from silcrow.providers.override import override
from silcrow.providers.scripted import (
    Bill,
    FakeLiveSession,
    FakeProvider,
    Ledger,
    Script,
    chunked,
    count_tokens,
    scripted,
)

__all__ = [
    "Bill",
    "FakeLiveSession",
    "FakeProvider",
    "Ledger",
    "Script",
    "chunked",
    "count_tokens",
    "override",
    "scripted",
]
