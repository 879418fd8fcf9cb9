"""The models a key can use: each vendor's models endpoint, and what to say when a model is gone.

Algorithm:
1. ``models_request(cfg, page)`` builds the GET of the vendor's models list
   (sans-I/O): OpenAI and OpenAI-compatible servers ``{base}/models``
   (Bearer key), Anthropic ``{base}/models?limit=1000`` (``x-api-key``,
   ``anthropic-version``, paged by ``after_id``), Gemini
   ``{base}/models?pageSize=1000`` (``x-goog-api-key``, paged by
   ``pageToken``). The base URLs already hold the API version.
2. ``parse_models(cfg, body)`` reads one page as the vendor documents it:
   ``{"data": [{"id"}]}`` (OpenAI), ``{"data": [{"id", "display_name"}],
   "has_more", "last_id"}`` (Anthropic; ``max_input_tokens`` when given),
   ``{"models": [{"name": "models/<id>", "displayName", "inputTokenLimit",
   "supportedGenerationMethods"}], "nextPageToken"}`` (Gemini), and returns the models plus the next page's
   cursor. Anything else is a ``ProviderError`` quoting the body.
3. ``list_models(cfg)`` follows the pages (at most ``MAX_PAGES``); an HTTP
   error becomes the same ``ProviderError`` a stream would raise.
4. ``model_missing(status, body)`` recognises "model not found" and
   deprecation refusals in an error body; ``missing_model_advice(cfg)``
   lists what the key can use and names the setting to change.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from silcrow.providers.anthropic import API_VERSION
from silcrow.providers.base import ProviderError
from silcrow.providers.config import ProviderConfig
from silcrow.providers.errors import error_from_status
from silcrow.providers.vendors import VENDORS

MAX_PAGES = 10
SHOWN = 12  # models named in an error message; the rest are counted
MODEL_SETTING = (
    "the `model` setting (editors), --model (silcrow chat), or the SILCROW_MODEL variable"
)
_MISSING_MARKS = (
    "model_not_found",
    "not_found_error",
    "does not exist",
    "is not found",
    "not found for api version",
    "deprecated",
    "has been retired",
    "no longer available",
    "decommissioned",
)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    label: str = ""  # the vendor's display name, when it gives one
    methods: tuple[str, ...] = ()  # Gemini: supportedGenerationMethods
    context_window: int | None = (
        None  # input tokens: Anthropic max_input_tokens, Gemini inputTokenLimit
    )

    @property
    def live(self) -> bool:
        """Gemini: the model serves Live sessions (``bidiGenerateContent``)."""
        return "bidiGenerateContent" in self.methods


@dataclass(frozen=True, slots=True)
class ModelsRequest:
    url: str
    headers: dict[str, str]


def _shape(cfg: ProviderConfig) -> str:
    return cfg.name if cfg.name in ("anthropic", "gemini") else "openai"


def models_request(cfg: ProviderConfig, page: str | None = None) -> ModelsRequest:
    shape = _shape(cfg)
    headers = {"accept": "application/json"}
    query: dict[str, str] = {}
    if shape == "anthropic":
        headers["anthropic-version"] = API_VERSION
        if cfg.api_key:
            headers["x-api-key"] = cfg.api_key
        query["limit"] = "1000"
        if page:
            query["after_id"] = page
    elif shape == "gemini":
        if cfg.api_key:
            headers["x-goog-api-key"] = cfg.api_key
        query["pageSize"] = "1000"
        if page:
            query["pageToken"] = page
    elif cfg.api_key:
        headers["authorization"] = f"Bearer {cfg.api_key}"
    url = f"{cfg.base_url}/models" + (f"?{urlencode(query)}" if query else "")
    return ModelsRequest(url, headers)


def _label(cfg: ProviderConfig) -> str:
    vendor = VENDORS.get(cfg.name)
    return vendor.label if vendor else cfg.name


def parse_models(cfg: ProviderConfig, body: bytes) -> tuple[list[ModelInfo], str | None]:
    """One page of the models list -> (models, cursor of the next page or None)."""
    try:
        doc: Any = json.loads(body)
    except ValueError:
        doc = None
    shape = _shape(cfg)
    rows = doc.get("models" if shape == "gemini" else "data") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise ProviderError(
            f"{_label(cfg)} at {cfg.base_url}: the models list is not in the documented shape: "
            f"{body[:200]!r}"
        )
    models = [m for m in (_model(shape, row) for row in rows) if m is not None]
    if shape == "anthropic":
        more = doc.get("has_more") and doc.get("last_id")
        return models, str(doc["last_id"]) if more else None
    if shape == "gemini":
        return models, str(doc["nextPageToken"]) if doc.get("nextPageToken") else None
    return models, None


def _model(shape: str, row: Any) -> ModelInfo | None:
    if not isinstance(row, dict):
        return None
    if shape == "gemini":
        name = str(row.get("name", ""))
        methods = row.get("supportedGenerationMethods")
        return ModelInfo(
            name.removeprefix("models/"),
            str(row.get("displayName", "")),
            tuple(str(m) for m in methods) if isinstance(methods, list) else (),
            _tokens(row.get("inputTokenLimit")),
        )
    if not row.get("id"):
        return None
    return ModelInfo(
        str(row["id"]),
        str(row.get("display_name", "")),
        context_window=_tokens(row.get("max_input_tokens")),
    )


def _tokens(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def list_models(
    cfg: ProviderConfig, *, http_client: httpx.AsyncClient | None = None
) -> list[ModelInfo]:
    """Every model the configured key can use, in the vendor's order."""
    if not VENDORS[cfg.name].network:
        return [ModelInfo(cfg.model, "scripted replies")]
    client = http_client or httpx.AsyncClient(
        timeout=httpx.Timeout(cfg.timeout, connect=cfg.connect_timeout)
    )
    models: list[ModelInfo] = []
    page: str | None = None
    try:
        for _ in range(MAX_PAGES):
            request = models_request(cfg, page)
            try:
                response = await client.get(request.url, headers=request.headers)
            except httpx.HTTPError as err:
                raise ProviderError(
                    f"{_label(cfg)} at {cfg.base_url}: cannot list models ({type(err).__name__}: "
                    f"{err}); check the base URL and that the server is running",
                    retryable=True,
                ) from err
            if response.status_code >= 400:
                raise error_from_status(
                    _label(cfg), response.status_code, response.content, key_env=cfg.api_key_env
                )
            found, page = parse_models(cfg, response.content)
            models += found
            if page is None:
                break
    finally:
        if http_client is None:
            await client.aclose()
    return models


def model_missing(status: int, body: bytes) -> bool:
    """Whether an error response says the model does not exist or was retired."""
    text = body.decode("utf-8", "replace").lower()
    return status in (400, 404, 410) and "model" in text and any(m in text for m in _MISSING_MARKS)


def advice(cfg: ProviderConfig, models: Sequence[ModelInfo]) -> str:
    """``the models this key can use: ...; set ...`` (pure, for error messages)."""
    ids = [m.id for m in models]
    shown = ", ".join(ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
    listed = f"the models this key can use: {shown}" if ids else "the key can use no models"
    return f"{cfg.model!r} is not available; {listed}. Choose one with {MODEL_SETTING}"


async def missing_model_advice(
    cfg: ProviderConfig, *, http_client: httpx.AsyncClient | None = None
) -> str:
    """Advice for a model the vendor refused; says so when the list cannot be read either."""
    try:
        return advice(cfg, await list_models(cfg, http_client=http_client))
    except ProviderError as err:
        return (
            f"{cfg.model!r} is not available, and the models list could not be read ({err}). "
            f"Choose a model with {MODEL_SETTING}; `silcrow models` lists them"
        )
