"""Which model an ACP session talks to: the one provider rule, from the environment.

ACP has no settings channel like LSP's ``initializationOptions``: the
provider comes from the environment the client starts ``silcrow acp`` with
(``SILCROW_PROVIDER``, ``SILCROW_MODEL``, the vendors' key and base-URL
variables; ``SILCROW_FAKE_SCRIPT`` for the scripted provider in tests).

``AcpProviders.choice(root)`` asks ``silcrow.providers.demo.choose_provider``
(the rule every front-end follows): the configured provider, else the
labelled OFFLINE DEMO, whose hint says how to configure a real model in
ACP terms (environment variables in the editor's agent-server settings).
``factory(root)`` gives the session's provider factory; the agent calls it
on first use, so a broken setting is that turn's error, never a crash.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from silcrow.agent.api import ProviderFactory
from silcrow.providers.base import Provider
from silcrow.providers.demo import ACP_CLIENT, ProviderChoice, choose_provider, script_from_env
from silcrow.providers.vendors import scripted


@dataclass(frozen=True)
class AcpProviders:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def choice(self, root: Path) -> ProviderChoice:
        script = script_from_env(self.env)
        if isinstance(script, list):  # a bare list of replies
            script = {"replies": script}
        return choose_provider(None, script=script, env=self.env, root=root, client=ACP_CLIENT)

    def learns(self, root: Path) -> bool:
        """Profile learning is off for the scripted provider (it cannot answer it)."""
        return not scripted(self.choice(root).name)

    def factory(self, root: Path) -> ProviderFactory:
        return lambda: _build(self.choice(root))


def _build(choice: ProviderChoice) -> Provider:
    from silcrow.providers.registry import make_provider

    return make_provider(choice.name, extra=choice.extra)
