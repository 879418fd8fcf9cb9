"""``silcrow/models``: the models the provider a folder's settings name offers.

Algorithm:
1. Resolve the folder's provider settings as a turn would
   (``registry.resolve_config``); ``current`` is the model they choose.
2. Read the vendor's models list (``providers.models.list_models``).
3. Any ``ProviderError`` on the way (no key, a bad provider name, the
   endpoint down) is the result's ``error``, and ``models`` holds only
   ``current``: a picker can always show the model in use.
"""

from __future__ import annotations

from silcrow.lsp.contract_context import ModelEntry, ModelsResult
from silcrow.lsp.settings import Settings
from silcrow.providers.base import ProviderError
from silcrow.providers.registry import resolve_config


async def models_for(settings: Settings) -> ModelsResult:
    """The models of the provider ``settings`` name (steps 1-3)."""
    from silcrow.providers.models import list_models  # httpx: imported on first use only

    try:
        cfg = resolve_config(
            settings.provider,
            model=settings.model or None,
            api_key_env=settings.api_key_env or None,
            base_url=settings.base_url or None,
        )
    except ProviderError as err:
        current = settings.model or ""
        return ModelsResult(settings.provider, current, _only(current), str(err))
    try:
        found = await list_models(cfg)
    except ProviderError as err:
        return ModelsResult(cfg.name, cfg.model, _only(cfg.model), str(err))
    models = [ModelEntry(m.id, m.label or None, m.context_window) for m in found]
    if not models:
        return ModelsResult(cfg.name, cfg.model, _only(cfg.model), "the vendor listed no models")
    return ModelsResult(cfg.name, cfg.model, models)


def _only(model: str) -> list[ModelEntry]:
    return [ModelEntry(model)] if model else []
