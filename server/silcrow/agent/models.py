"""A conversation's model: which provider runs a turn when the user chose a model.

Algorithm:
1. ``chosen_model(log, conversation_id)``: a turn that names no model uses
   the one its conversation's latest ``user`` event chose (stored as
   ``payload.model``), so the choice survives a restart of the daemon.
2. ``ModelProviders.get(default, model)``: no model, or the default
   provider's own, is the default provider; any other is built once - with
   ``build(model)`` (the front-end's factory; ``None`` from it keeps the
   default provider: a scripted fake has no other models), else from the
   agent's vendor name - and kept until ``aclose()``. The agent, its permissions ("allow
   always") and its tools are not rebuilt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from silcrow.agent.eventlog import EventLog
from silcrow.providers.base import Provider


async def chosen_model(log: EventLog, conversation_id: str) -> str | None:
    """Step 1: the latest model the conversation chose, or None."""
    for event in reversed(await log.events(conversation_id)):
        model = (event.payload or {}).get("model") if event.type == "user" else None
        if isinstance(model, str) and model:
            return model
    return None


class ModelProviders:
    """Step 2: the providers of the models turns chose, one per model."""

    def __init__(self, build: Callable[[str], Provider | None] | None, vendor: str | None) -> None:
        self.build = build
        self.vendor = vendor  # the agent's ``llm`` when it is a vendor name
        self._built: dict[str, Provider] = {}

    def get(self, default: Provider, model: str | None) -> Provider:
        if not model or model == getattr(default, "model", None):
            return default
        if model not in self._built:
            made = self._make(model)
            if made is None:
                return default
            self._built[model] = made
        return self._built[model]

    def _make(self, model: str) -> Provider | None:
        if self.build is not None:
            return self.build(model)
        if self.vendor is not None:
            from silcrow.providers.registry import make_provider

            return make_provider(self.vendor, model=model)
        raise ValueError(
            f"cannot switch this conversation to {model!r}: the agent was given a provider "
            "object; give Agent(models=...) a function that builds one per model"
        )

    async def aclose(self) -> None:
        built, self._built = list(self._built.values()), {}
        for provider in built:
            with contextlib.suppress(Exception):
                await provider.aclose()
