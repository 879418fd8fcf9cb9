"""The agent layer: it owns the turn, and knows nothing of any front-end.

``Agent.start(query, ...)`` returns a ``TurnHandle`` (``events()``,
``cancel()``, ``wait() -> TurnOutcome``); the LSP daemon, the terminal
client (through the daemon) and library users all drive turns this way.
Besides the turn's own task, the agent schedules only its background
profile updates; the LSP layer has its own tasks (progress, watchdog).
"""

from silcrow.agent.api import Agent, ConversationBusy
from silcrow.agent.handle import StopReason, TurnHandle, TurnOutcome

__all__ = ["Agent", "ConversationBusy", "StopReason", "TurnHandle", "TurnOutcome"]
