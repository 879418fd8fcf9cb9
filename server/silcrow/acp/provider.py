"""Which model an ACP session talks to: the daemon's provider choice, from the environment.

ACP has no settings channel like LSP's ``initializationOptions``: the
provider comes from the environment the client starts ``silcrow acp`` with
(``SILCROW_PROVIDER``, ``SILCROW_MODEL``, the vendors' key variables,
``SILCROW_FAKE_SCRIPT`` for the scripted provider in tests), read once at
start.

``ProviderChoice.from_environment()`` resolves it the way ``silcrow serve``
does (its settings parser and provider builder); when no provider is named
and no key is found, it is the labelled OFFLINE DEMO (scripted replies, a
real tool call on the workspace), with ``banner`` saying so and how to set
a real provider in an ACP client's terms. ``factory(root)`` gives the
session's provider factory (called by the agent on first use, so a broken
setting is that turn's error).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from silcrow.agent.api import ProviderFactory
from silcrow.providers.base import Provider
from silcrow.providers.vendors import scripted

HOW_TO_CONFIGURE = (
    "Silcrow OFFLINE DEMO: the replies are scripted, the tool calls are real. To use a "
    "real model, set an API key (OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY) or "
    "SILCROW_PROVIDER (and SILCROW_MODEL) in the env of the agent server in your editor's "
    "ACP settings, then restart it"
)


@dataclass(frozen=True)
class ProviderChoice:
    """The provider name the environment selects, or None for the offline demo."""

    provider: str | None

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> ProviderChoice:
        # The same choice as the terminal client and the daemon's first-run demo.
        from silcrow.chat.demo import choose_provider

        return cls(choose_provider(None, dict(os.environ if env is None else env)))

    @property
    def banner(self) -> str | None:
        return HOW_TO_CONFIGURE if self.provider is None else None

    @property
    def learns(self) -> bool:
        """Profile learning is off for the scripted provider (it cannot answer it)."""
        return self.provider is not None and not scripted(self.provider)

    def factory(self, root: Path) -> ProviderFactory:
        provider = self.provider
        return lambda: _build(provider, root)


def _build(provider: str | None, root: Path) -> Provider:
    # The provider-selection path of ``silcrow serve`` (its settings parser and builder).
    from silcrow.lsp.sessions import build_provider
    from silcrow.lsp.settings import parse_settings

    if provider is None:
        from silcrow.chat.demo import demo_script

        raw: dict[str, object] = {"provider": "fake", "fakeScript": dict(demo_script(root))}
    else:
        raw = {"provider": provider}
    settings, issues = parse_settings(raw)
    if issues:
        raise ValueError("; ".join(issue.message(None) for issue in issues))
    return build_provider(settings)
