"""The turn loop and the public ``Agent`` API.

It knows nothing of LSP: front-ends (the daemon in ``silcrow.lsp``, ``silcrow
chat`` through it) drive it through ``Agent``. It schedules its own tasks
(a cycle's reply reader, the background profile learner); front-ends
schedule theirs (the task that drives a turn, watchers, progress).
"""

from silcrow.agent.api import Agent, ConversationBusy

__all__ = ["Agent", "ConversationBusy"]
