"""``silcrow acp``: Silcrow as an Agent Client Protocol agent over stdio.

A front-end like ``silcrow.lsp``: it translates ACP requests into turns on
the one turn engine (``Agent.start`` -> ``TurnHandle``) and the turn's
stored events into ACP ``session/update``s; it owns no turn logic. The
maintained SDK (``agent-client-protocol``, ``import acp``) does the JSON-RPC
framing.

Modules: ``main`` (the stdio entry point), ``agent`` (initialize, sessions),
``session`` (one session's turns), ``updates`` (events as updates),
``toolview`` (kinds, titles, locations), ``clientfs`` (the client's files
and terminal as the workspace port), ``permissions``, ``content`` (prompt
blocks, stop reasons), ``mcpconfig`` (``mcpServers``), ``provider``.
"""

from silcrow.acp.main import run_acp

__all__ = ["run_acp"]
