"""The exceptions the agent raises to its caller (a failure inside a turn is an ``error`` event).

``AgentError`` has Cogency's name, so ``except AgentError`` written for
Cogency catches what stops a Silcrow turn from starting.
"""

from __future__ import annotations


class AgentError(RuntimeError):
    """A turn could not start; what went wrong inside a turn is stored as its ``error`` event."""


class ConversationBusy(AgentError):
    """A turn is already running on this conversation (in this agent, or another one's first turn)."""
