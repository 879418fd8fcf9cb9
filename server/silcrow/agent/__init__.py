"""The agent layer: it owns the turn, and knows nothing of any front-end.

``Agent.start(query, ...)`` returns a ``TurnHandle`` (``events()``,
``cancel()``, ``wait() -> TurnOutcome``); the LSP daemon, the terminal
client (through the daemon) and library users all drive turns this way.
Besides the turn's own task, the agent schedules only its background
profile updates; the LSP layer has its own tasks (progress, watchdog).
"""

from silcrow.agent.api import Agent
from silcrow.agent.errors import AgentError, ConversationBusy
from silcrow.agent.handle import StopReason, TurnHandle, TurnOutcome
from silcrow.agent.setup import Security

__all__ = [
    "Agent",
    "AgentError",
    "ConversationBusy",
    "Security",
    "StopReason",
    "TurnHandle",
    "TurnOutcome",
]
