"""Silcrow: an editor-side streaming coding agent served over LSP.

The public library API is imported lazily so that ``import silcrow`` stays
cheap for the daemon's start-up and loads no vendor or protocol SDK. It
keeps the names a Cogency 3.2 user imports (``from cogency import Agent``
becomes ``from silcrow import Agent``; docs/cogency.md):

* ``Agent``, ``AgentError`` (and its ``ConversationBusy``), ``Security``;
* ``Tool``, ``ToolResult`` and ``tools`` (selections of the built-ins);
* ``Event`` (read as attributes or as a mapping), ``LLM`` (the provider
  protocol, ``silcrow.providers.base.Provider``) and ``Storage`` (the store
  protocol an agent writes through, ``silcrow.agent.eventlog.EventLog``;
  ``silcrow.store.EventStore`` is its reference implementation).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "LLM",
    "Agent",
    "AgentError",
    "ConversationBusy",
    "Event",
    "Security",
    "Storage",
    "Tool",
    "ToolResult",
    "tools",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from silcrow import tools
    from silcrow.agent.api import Agent
    from silcrow.agent.errors import AgentError, ConversationBusy
    from silcrow.agent.eventlog import EventLog as Storage
    from silcrow.agent.setup import Security
    from silcrow.protocol.events import Event
    from silcrow.providers.base import Provider as LLM
    from silcrow.tools.base import Tool, ToolResult

_LAZY: dict[str, tuple[str, str | None]] = {
    "Agent": ("silcrow.agent.api", "Agent"),
    "AgentError": ("silcrow.agent.errors", "AgentError"),
    "ConversationBusy": ("silcrow.agent.errors", "ConversationBusy"),
    "Event": ("silcrow.protocol.events", "Event"),
    "LLM": ("silcrow.providers.base", "Provider"),
    "Security": ("silcrow.agent.setup", "Security"),
    "Storage": ("silcrow.agent.eventlog", "EventLog"),
    "Tool": ("silcrow.tools.base", "Tool"),
    "ToolResult": ("silcrow.tools.base", "ToolResult"),
    "tools": ("silcrow.tools", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'silcrow' has no attribute {name!r}")
    module, attr = _LAZY[name]
    loaded = importlib.import_module(module)
    return loaded if attr is None else getattr(loaded, attr)
