"""Provider names -> configs -> adapters; the one place vendors are chosen.

Algorithm:
1. ``resolve_config(llm, ...)`` picks a row of the vendor table
   (``providers.vendors``): a known name ("openai", "anthropic", "gemini",
   "ollama", "fake"), an http(s) URL (an OpenAI-compatible server), or
   "auto" (``SILCROW_PROVIDER`` if set, else the first vendor whose API key
   variable is set).
2. It fills the config from, in order: explicit arguments, environment
   (``<VENDOR>_BASE_URL``, ``SILCROW_MODEL``, the key variables), then the
   vendor's defaults, and checks every setting, raising ``ConfigError`` /
   ``AuthError`` with the variable or argument to fix. The scripted fake
   (no network) skips the URL and key steps: its only special case.
3. ``make_provider`` imports the vendor's adapter only then (the fake's is
   ``silcrow.providers.scripted.scripted``), so importing this module stays cheap (no
   httpx) for the daemon's start-up.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Mapping
from typing import Any, get_args

from silcrow.providers.base import AuthError, Provider
from silcrow.providers.config import LiveTransport, ProviderConfig
from silcrow.providers.errors import ConfigError
from silcrow.providers.vendors import (
    AUTO,
    AUTO_ORDER,
    BY_URL,
    CHOICES,
    FAKE,
    VENDORS,
    Vendor,
    keyed_vendor,
)

__all__ = ["make_provider", "resolve_config"]

# Live transports that serve only their own model family; Responses WS serves
# the ordinary text models, so ``model`` applies there. ``live_model=`` overrides.
LIVE_MODELS: dict[str, str] = {
    "realtime": "gpt-realtime",
    "gemini-live": "gemini-3.1-flash-live-preview",
}
_OVERRIDABLE = frozenset(
    f.name
    for f in dataclasses.fields(ProviderConfig)
    if f.name not in {"name", "model", "base_url", "api_key_env", "live_transport"}
)


def make_provider(
    llm: str | Provider = AUTO,
    *,
    model: str | None = None,
    api_key_env: str | None = None,
    base_url: str | None = None,
    live_transport: str | None = None,
    http_client: Any = None,
    **overrides: Any,
) -> Provider:
    """Build a provider from a name, a URL or "auto"; pass a Provider through.

    ``http_client`` is an ``httpx.AsyncClient`` to use instead of the
    adapter's own (tests pass one with a mock transport); ``overrides`` set
    other ``ProviderConfig`` fields (timeout, max_retries, extra, ...).
    """
    if not isinstance(llm, str):
        if isinstance(llm, Provider):
            return llm
        raise ConfigError(
            f"llm must be a provider name, a URL or a Provider; got {type(llm).__name__}"
        )
    cfg = resolve_config(
        llm,
        model=model,
        api_key_env=api_key_env,
        base_url=base_url,
        live_transport=live_transport,
        **overrides,
    )
    module_name, _, factory_name = VENDORS[cfg.name].adapter.partition(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    provider: Provider = factory(cfg, http_client=http_client)
    return provider


def resolve_config(
    llm: str = AUTO,
    *,
    model: str | None = None,
    api_key_env: str | None = None,
    base_url: str | None = None,
    live_transport: str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ProviderConfig:
    """Resolve a provider name into a checked ``ProviderConfig`` (no I/O, no imports)."""
    env = os.environ if env is None else env
    _check_overrides(overrides)
    name = _choose_name(llm.strip(), env)
    if name.startswith(("http://", "https://")):
        base_url, name = name, BY_URL
    vendor = VENDORS[name]
    if not vendor.network:
        return ProviderConfig(name=name, model=model or vendor.model, base_url="", **overrides)
    url = _base_url(vendor, base_url, env)
    key_env, key = _api_key(vendor, api_key_env, overrides.pop("api_key", None), env)
    live = _live(vendor, live_transport)
    overrides.setdefault("live_model", LIVE_MODELS.get(live))
    return ProviderConfig(
        name=name,
        model=_model(vendor, model, url, env),
        base_url=url,
        api_key=key,
        api_key_env=key_env,
        live_transport=live,
        **overrides,
    )


def _check_overrides(overrides: Mapping[str, Any]) -> None:
    unknown = sorted(set(overrides) - _OVERRIDABLE)
    if unknown:
        raise ConfigError(
            f"unknown provider setting(s) {', '.join(unknown)}; "
            f"known settings: {', '.join(sorted(_OVERRIDABLE))}"
        )
    for field_name in ("timeout", "connect_timeout"):
        value = overrides.get(field_name)
        if value is not None and (not isinstance(value, int | float) or value <= 0):
            raise ConfigError(f"{field_name} must be a positive number of seconds; got {value!r}")
    for field_name in ("max_retries", "max_output_tokens"):
        value = overrides.get(field_name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ConfigError(f"{field_name} must be a non-negative integer; got {value!r}")


def _choose_name(llm: str, env: Mapping[str, str]) -> str:
    if llm.startswith(("http://", "https://")):
        return llm
    if llm == AUTO:
        chosen = env.get("SILCROW_PROVIDER", "").strip()
        if chosen and chosen != AUTO:
            return _choose_name(chosen, env)
        keyed = keyed_vendor(env)
        if keyed is not None:
            return keyed
        variables = ", ".join(v for n in AUTO_ORDER for v in VENDORS[n].key_envs)
        raise AuthError(
            f"no provider configured: set one of {variables}, or set SILCROW_PROVIDER "
            f"(e.g. 'ollama' for a local server, '{FAKE}' for the offline demo)"
        )
    if llm.lower() in VENDORS:
        return llm.lower()
    raise ConfigError(
        f"unknown provider {llm!r}; use one of {', '.join(CHOICES)}, or an http(s):// base URL"
    )


def _base_url(vendor: Vendor, base_url: str | None, env: Mapping[str, str]) -> str:
    url = base_url or (env.get(vendor.base_env, "") if vendor.base_env else "") or vendor.base_url
    if not url.startswith(("http://", "https://")):
        where = f"{vendor.base_env} (or the baseUrl setting)" if vendor.base_env else "baseUrl"
        raise ConfigError(f"{vendor.label}: {where} must be an http(s):// URL; got {url!r}")
    return url.rstrip("/")


def _model(vendor: Vendor, model: str | None, url: str, env: Mapping[str, str]) -> str:
    chosen = (model or env.get("SILCROW_MODEL", "") or vendor.model).strip()
    if not chosen:
        raise ConfigError(
            f"{vendor.label} at {url}: set the model setting (or SILCROW_MODEL) "
            "to a model the server has"
        )
    return chosen


def _api_key(
    vendor: Vendor, api_key_env: str | None, api_key: str | None, env: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """Return (variable, key). An explicit key or variable wins over the vendor's own."""
    if api_key:
        return api_key_env, api_key
    candidates = (api_key_env,) if api_key_env else vendor.key_envs
    for var in candidates:
        if env.get(var):
            return var, env[var]
    if api_key_env:
        raise AuthError(
            f"{vendor.label}: the key variable {api_key_env} (the apiKeyEnv setting) is not "
            f"set; export {api_key_env}=<your key> where the editor or program starts"
        )
    if vendor.key_envs:
        raise AuthError(
            f"{vendor.label}: set {' or '.join(vendor.key_envs)} to your API key "
            "where the editor or program starts"
        )
    return None, None


def _live(vendor: Vendor, live_transport: str | None) -> LiveTransport:
    chosen = live_transport or vendor.live_transport
    if chosen not in get_args(LiveTransport) or chosen not in vendor.live_choices:
        raise ConfigError(
            f"{vendor.label}: live_transport {chosen!r} is not available; "
            f"choose one of {', '.join(vendor.live_choices)}"
        )
    return chosen
