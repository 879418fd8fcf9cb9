"""The turn loop and the public ``Agent`` API.

This is the only layer that schedules tasks. It knows nothing of LSP: the
daemon drives it through ``Agent``.
"""

from silcrow.agent.api import Agent, ConversationBusy

__all__ = ["Agent", "ConversationBusy"]
