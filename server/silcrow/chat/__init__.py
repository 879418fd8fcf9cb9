"""``silcrow chat``: a terminal client that speaks LSP to ``silcrow serve``, as an editor does.

The package is split by job:

- ``render``: ``silcrow/event`` params to terminal text, every daemon text
  escaped through ``silcrow.tools.visible``;
- ``session``: the LSP client loop (spawn the daemon, prompt, cancel,
  permissions, commands) and ``run_chat``, the ``silcrow chat`` entry point.

Which provider runs (and the OFFLINE DEMO when none is configured) is
``silcrow.providers.demo.choose_provider``, shared by every front-end.
"""

from silcrow.chat.render import Renderer
from silcrow.chat.session import run_chat
from silcrow.lsp.plain import as_plain as plain

__all__ = ["Renderer", "plain", "run_chat"]
