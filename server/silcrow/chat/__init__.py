"""``silcrow chat``: a terminal client that speaks LSP to ``silcrow serve``, as an editor does.

The package is split by job:

- ``demo``: which provider to use, and with none the OFFLINE DEMO (its
  scripted replies for the bundled fake provider, and its label);
- ``render``: ``silcrow/event`` params to terminal text, every daemon text
  escaped through ``silcrow.tools.visible``;
- ``session``: the LSP client loop (spawn the daemon, prompt, cancel,
  permissions, commands) and ``run_chat``, the ``silcrow chat`` entry point.
"""

from silcrow.chat.demo import choose_provider, demo_script
from silcrow.chat.render import Renderer
from silcrow.chat.session import run_chat
from silcrow.lsp.plain import as_plain as plain

__all__ = ["Renderer", "choose_provider", "demo_script", "plain", "run_chat"]
