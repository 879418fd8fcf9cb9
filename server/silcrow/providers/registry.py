"""Provider names -> configs -> adapters; the one place vendors are chosen.

Algorithm:
1. ``resolve_config(llm, ...)`` picks a vendor: a known name ("openai",
   "anthropic", "gemini", "ollama", "fake"), an http(s) URL (an
   OpenAI-compatible server), or "auto" (``SILCROW_PROVIDER`` if set, else the
   first vendor whose API key variable is set).
2. It fills the config from, in order: explicit arguments, environment
   (``<VENDOR>_BASE_URL``, ``SILCROW_MODEL``, the key variables), then the
   vendor's defaults, and checks every setting, raising ``ConfigError`` /
   ``AuthError`` with the variable or argument to fix.
3. ``make_provider`` imports the vendor's adapter module only then, so
   importing this module stays cheap (no httpx) for the daemon's start-up.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from silcrow.providers.base import AuthError, Provider
from silcrow.providers.config import LiveTransport, ProviderConfig
from silcrow.providers.errors import ConfigError

__all__ = ["VENDORS", "Vendor", "make_provider", "resolve_config"]


@dataclass(frozen=True, slots=True)
class Vendor:
    name: str
    label: str  # for messages: "OpenAI"
    model: str  # default model
    base_url: str
    base_env: str | None  # env variable overriding base_url
    key_envs: tuple[str, ...]  # first one set wins; () = no key needed
    live_transport: LiveTransport
    live_choices: tuple[LiveTransport, ...]
    adapter: str  # "module:Class", imported lazily


_CHAT = "silcrow.providers.openai_chat:OpenAIChatProvider"

VENDORS: dict[str, Vendor] = {
    v.name: v
    for v in (
        Vendor("openai", "OpenAI", "gpt-5-mini", "https://api.openai.com/v1", "OPENAI_BASE_URL",
               ("OPENAI_API_KEY",), "responses", ("responses", "realtime", "none"), _CHAT),
        Vendor("anthropic", "Anthropic", "claude-sonnet-4-5", "https://api.anthropic.com/v1",
               "ANTHROPIC_BASE_URL", ("ANTHROPIC_API_KEY",), "none", ("none",),
               "silcrow.providers.anthropic:AnthropicProvider"),
        Vendor("gemini", "Gemini", "gemini-2.5-flash",
               "https://generativelanguage.googleapis.com/v1beta", "GEMINI_BASE_URL",
               ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "none", ("gemini-live", "none"),
               "silcrow.providers.gemini:GeminiProvider"),
        Vendor("ollama", "Ollama", "qwen3-coder", "http://localhost:11434/v1", "OLLAMA_BASE_URL",
               (), "none", ("none",), _CHAT),
        Vendor("openai-compatible", "OpenAI-compatible server", "", "", None,
               (), "none", ("none",), _CHAT),
    )
}

_AUTO_ORDER = ("openai", "anthropic", "gemini")

# Live transports that serve only their own model family; Responses WS serves
# the ordinary text models, so ``model`` applies there. ``live_model=`` overrides.
LIVE_MODELS: dict[str, str] = {"realtime": "gpt-realtime", "gemini-live": "gemini-3.1-flash-live-preview"}
_OVERRIDABLE = frozenset(
    f.name for f in dataclasses.fields(ProviderConfig)
    if f.name not in {"name", "model", "base_url", "api_key_env", "live_transport"}
)


def make_provider(
    llm: str | Provider = "auto",
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
        raise ConfigError(f"llm must be a provider name, a URL or a Provider; got {type(llm).__name__}")
    cfg = resolve_config(llm, model=model, api_key_env=api_key_env, base_url=base_url,
                         live_transport=live_transport, **overrides)
    if cfg.name == "fake":
        from silcrow.providers.fakes.inproc import FakeProvider

        return FakeProvider()  # type: ignore[return-value]
    module_name, _, class_name = VENDORS[cfg.name].adapter.partition(":")
    adapter = getattr(importlib.import_module(module_name), class_name)
    provider: Provider = adapter(cfg, http_client=http_client)
    return provider


def resolve_config(
    llm: str = "auto",
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
    if name == "fake":
        return ProviderConfig(name="fake", model=model or "fake", base_url="", **overrides)
    if name.startswith(("http://", "https://")):
        base_url, name = name, "openai-compatible"
    vendor = VENDORS[name]
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
    if llm.startswith(("http://", "https://")) or llm == "fake":
        return llm
    if llm == "auto":
        chosen = env.get("SILCROW_PROVIDER", "").strip()
        if chosen and chosen != "auto":
            return _choose_name(chosen, env)
        for name in _AUTO_ORDER:
            if any(env.get(var) for var in VENDORS[name].key_envs):
                return name
        variables = ", ".join(v for n in _AUTO_ORDER for v in VENDORS[n].key_envs)
        raise AuthError(
            f"no provider configured: set one of {variables}, or set SILCROW_PROVIDER "
            "(e.g. 'ollama' for a local server, 'fake' for the offline demo)"
        )
    if llm.lower() in VENDORS:
        return llm.lower()
    known = ", ".join([*VENDORS, "fake", "auto"])
    raise ConfigError(f"unknown provider {llm!r}; use one of {known}, or an http(s):// base URL")


def _base_url(vendor: Vendor, base_url: str | None, env: Mapping[str, str]) -> str:
    url = base_url or (env.get(vendor.base_env, "") if vendor.base_env else "") or vendor.base_url
    if not url.startswith(("http://", "https://")):
        where = f"base_url or {vendor.base_env}" if vendor.base_env else "base_url"
        raise ConfigError(f"{vendor.label}: {where} must be an http(s):// URL; got {url!r}")
    return url.rstrip("/")


def _model(vendor: Vendor, model: str | None, url: str, env: Mapping[str, str]) -> str:
    chosen = (model or env.get("SILCROW_MODEL", "") or vendor.model).strip()
    if not chosen:
        raise ConfigError(f"{vendor.label} at {url}: pass model=... (or set SILCROW_MODEL) "
                          "naming a model the server has")
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
        raise AuthError(f"{vendor.label}: the variable {api_key_env} named by api_key_env is not set; "
                        f"export {api_key_env}=<your key>")
    if vendor.key_envs:
        raise AuthError(
            f"{vendor.label}: set {' or '.join(vendor.key_envs)} to your API key "
            "(or pass api_key_env= naming the variable that holds it)"
        )
    return None, None


def _live(vendor: Vendor, live_transport: str | None) -> LiveTransport:
    chosen = live_transport or vendor.live_transport
    if chosen not in get_args(LiveTransport) or chosen not in vendor.live_choices:
        raise ConfigError(
            f"{vendor.label}: live_transport {chosen!r} is not available; "
            f"choose one of {', '.join(vendor.live_choices)}"
        )
    return chosen  # type: ignore[return-value]
