"""Silcrow: an editor-side streaming coding agent served over LSP.

The public library API (``Agent``, ``Tool``, ``ToolResult``) is imported
lazily so that ``import silcrow`` stays cheap for the daemon's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Agent", "Event", "Tool", "ToolResult"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from silcrow.agent.api import Agent
    from silcrow.protocol.events import Event
    from silcrow.tools.base import Tool, ToolResult


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from silcrow.agent.api import Agent

        return Agent
    if name == "Event":
        from silcrow.protocol.events import Event

        return Event
    if name in ("Tool", "ToolResult"):
        from silcrow.tools import base

        return getattr(base, name)
    raise AttributeError(name)
