"""``silcrow doctor``: is the configured provider usable? Four checks, each ok / detail / fix.

Algorithm:
1. ``key``: resolve the configuration as a turn would (``registry.resolve_config``)
   and say which variable the key came from (never the key). A missing key
   or a wrong setting fails here, with the registry's own message as the fix.
2. ``endpoint``: GET the vendor's models list (``providers.models``): the
   server answers and accepts the key.
3. ``model``: the configured model is in that list (a local server's
   ``name:tag`` id matches ``name``); if not, the fix lists the models the
   key can use and names the setting.
4. ``live``: the live transport resume mode would use. OpenAI (Responses
   WebSocket or Realtime): a WebSocket handshake at its endpoint, closed at
   once (nothing is generated or billed). Gemini Live (opt in): the Live
   model must be listed with ``bidiGenerateContent``, then the handshake.
   A vendor without live sessions, or ``mode: "replay"``, passes and says
   that replay is used.
A check that cannot run because an earlier one failed is reported not ok,
its detail naming the check that failed and its fix that check's fix.
``report(checks)`` is the JSON ``{"checks": [{"name", "ok", "detail",
"fix"}]}`` that ``silcrow doctor --json``, the ``silcrow/doctor`` request and
the editors' health views share.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

import httpx

from silcrow.providers.base import AuthError, ProviderError
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor
from silcrow.providers.live.wire import Connect, dial
from silcrow.providers.models import ModelInfo, advice, list_models
from silcrow.providers.registry import resolve_config
from silcrow.providers.vendors import VENDORS

CheckName = Literal["key", "endpoint", "model", "live"]
ORDER: tuple[CheckName, ...] = ("key", "endpoint", "model", "live")
# transport -> the adapter module whose ``handshake(cfg)`` gives (url, headers) and whose
# ``VENDOR`` names it in errors
_LIVE = {
    "responses": "silcrow.providers.responses_ws",
    "realtime": "silcrow.providers.realtime",
    "gemini-live": "silcrow.providers.gemini_live",
}


@dataclass(frozen=True, slots=True)
class Check:
    name: CheckName
    ok: bool
    detail: str
    fix: str = ""


class CheckJSON(TypedDict):
    name: str
    ok: bool
    detail: str
    fix: str


class Report(TypedDict):
    checks: list[CheckJSON]


def report(checks: Sequence[Check]) -> Report:
    return {"checks": [CheckJSON(name=c.name, ok=c.ok, detail=c.detail, fix=c.fix) for c in checks]}


def _skipped(failed: Check) -> list[Check]:
    rest = ORDER[ORDER.index(failed.name) + 1 :]
    why = f"not checked: the {failed.name} check failed"
    return [Check(name, False, why, failed.fix) for name in rest]


async def diagnose(
    llm: str = "auto",
    *,
    model: str | None = None,
    api_key_env: str | None = None,
    base_url: str | None = None,
    live_transport: str | None = None,
    live_url: str | None = None,
    mode: str = "auto",
    env: Mapping[str, str] | None = None,
    http_client: httpx.AsyncClient | None = None,
    connect: Connect | None = None,
) -> list[Check]:
    """The four checks, in order, for the provider these settings name."""
    try:
        cfg = resolve_config(
            llm,
            model=model,
            api_key_env=api_key_env,
            base_url=base_url,
            live_transport=live_transport,
            env=env,
            **({"live_url": live_url} if live_url else {}),
        )
    except ProviderError as err:
        what = "no API key found" if isinstance(err, AuthError) else "the provider setting is wrong"
        failed = Check("key", False, what, str(err))
        return [failed, *_skipped(failed)]
    checks = [_key(cfg)]
    try:
        models = await list_models(cfg, http_client=http_client)
    except ProviderError as err:
        failed = Check("endpoint", False, str(err), _endpoint_fix(cfg, err))
        return [*checks, failed, *_skipped(failed)]
    vendor = VENDORS[cfg.name]
    where = cfg.base_url or "in-process"
    checks.append(Check("endpoint", True, f"{vendor.label} at {where} listed {len(models)} models"))
    checks.append(_model(cfg, models))
    checks.append(await _live(cfg, models, mode, connect))
    return checks


def _key(cfg: ProviderConfig) -> Check:
    label = VENDORS[cfg.name].label
    if cfg.api_key_env:
        return Check("key", True, f"{label}: the key comes from {cfg.api_key_env}")
    if cfg.api_key:
        return Check("key", True, f"{label}: a key was passed explicitly")
    return Check("key", True, f"{label}: no key needed")


def _endpoint_fix(cfg: ProviderConfig, err: ProviderError) -> str:
    if isinstance(err, AuthError):
        return f"the server refused the key: check {cfg.api_key_env or 'the key you configured'}"
    base_env = VENDORS[cfg.name].base_env
    where = f"the `baseUrl` setting or {base_env}" if base_env else "the `baseUrl` setting"
    return f"check {where} ({cfg.base_url}) and that this machine can reach it"


def _served(model: str, models: Sequence[ModelInfo]) -> bool:
    return any(m.id == model or m.id.startswith(f"{model}:") for m in models)


def _model(cfg: ProviderConfig, models: Sequence[ModelInfo]) -> Check:
    if _served(cfg.model, models):
        return Check("model", True, f"{cfg.model} is available")
    return Check(
        "model",
        False,
        f"{cfg.model} is not among the {len(models)} models this key can use",
        advice(cfg, models),
    )


async def _live(
    cfg: ProviderConfig, models: Sequence[ModelInfo], mode: str, connect: Connect | None
) -> Check:
    vendor = VENDORS[cfg.name]
    if mode == "replay":
        return Check("live", True, "mode is replay: no live session is opened")
    if cfg.live_transport == "none":
        if "gemini-live" in vendor.live_choices:
            live = [m.id for m in models if m.live]
            listed = ", ".join(live[:5]) or "none listed for this key"
            return Check(
                "live",
                True,
                f"{vendor.label} runs in replay mode; Live sessions are opt in "
                f"(live_transport='gemini-live'). Live models: {listed}",
            )
        return Check("live", True, f"{vendor.label} has no live sessions here; replay mode is used")
    live_model = cfg.live_model or cfg.model
    if cfg.live_transport == "gemini-live" and not any(
        m.id == live_model and m.live for m in models
    ):
        offered = [m for m in models if m.live]
        return Check(
            "live",
            False,
            f"{live_model} is not a Live model this key can use",
            f"set live_model to one of: {', '.join(m.id for m in offered) or '(none)'}",
        )
    return await _handshake(cfg, live_model, connect)


async def _handshake(cfg: ProviderConfig, live_model: str, connect: Connect | None) -> Check:
    module = importlib.import_module(_LIVE[cfg.live_transport])
    vendor: LiveVendor = module.VENDOR
    url = cfg.live_url or cfg.base_url
    try:
        url, headers = module.handshake(cfg)
        wire = await dial(cfg, url, headers, vendor, connect)
    except ProviderError as err:
        return Check(
            "live",
            False,
            str(err),
            "resume mode falls back to replay; to skip live sessions set the `mode` setting to "
            f"replay, or check network access to {url}",
        )
    await wire.close()
    return Check("live", True, f"{vendor.name}: WebSocket handshake for {live_model} succeeded")
