"""Mapping vendor failures to ``ProviderError`` classes a person can act on.

Algorithm:
1. ``error_from_status`` turns an HTTP error response (status, body) into an
   error: 401/403 (and Gemini's 400 ``API_KEY_INVALID``) -> ``AuthError``
   naming the key's variable; 429 ->
   ``RateLimited``; 529 -> ``Overloaded``; other 5xx -> retryable
   ``ProviderError``; anything else -> a non-retryable ``ProviderError``.
   The vendor's own message is quoted from the body when it parses.
2. ``error_from_payload`` does the same for an error that arrives inside a
   stream (Anthropic's ``event: error``), keyed on the vendor's error type.
3. ``retry_after_seconds`` reads ``retry-after-ms`` / ``Retry-After``
   (seconds or an HTTP date) so the retry loop can honour it;
   ``retry_delay_from_body`` reads Gemini's hint, which is in the error body
   (``details[].retryDelay`` of a ``google.rpc.RetryInfo``, e.g. ``"37s"``).
4. ``host_label(url)`` names a server by ``host:port`` for messages about
   URL-configured (OpenAI-compatible) providers.
No I/O and no httpx here: bodies arrive as bytes, headers as a mapping.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from silcrow.providers.base import AuthError, Overloaded, ProviderError, RateLimited


class ConfigError(ProviderError):
    """A provider setting is wrong or missing; the message names the setting and the fix."""


_AUTH_TYPES = {"authentication_error", "permission_error", "UNAUTHENTICATED", "PERMISSION_DENIED"}
_RATE_TYPES = {"rate_limit_error", "rate_limit_exceeded", "RESOURCE_EXHAUSTED"}
_OVERLOAD_TYPES = {"overloaded_error", "UNAVAILABLE"}
_SERVER_TYPES = {"api_error", "server_error", "INTERNAL"}


def parse_error_body(body: bytes) -> tuple[str, str]:
    """Return (error type, message) from a vendor error body, or ("", raw text).

    OpenAI and Gemini send ``{"error": {...}}``, Anthropic sends
    ``{"type": "error", "error": {...}}``; Gemini may wrap it in a list.
    """
    text = body.decode("utf-8", "replace").strip()
    try:
        doc: Any = json.loads(text)
    except ValueError:
        return "", text[:500]
    if isinstance(doc, list) and doc:
        doc = doc[0]
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return "", text[:500]
    code = err.get("code") if isinstance(err.get("code"), str) else ""  # not a repeated status
    kind = err.get("type") or err.get("status") or code
    return str(kind), str(err.get("message", "")) or text[:500]


def auth_error(vendor: str, key_env: str | None, detail: str) -> AuthError:
    where = f"check {key_env}" if key_env else "check the API key you configured"
    return AuthError(f"{vendor} rejected the API key ({detail}); {where}")


def error_from_status(
    vendor: str, status: int, body: bytes, *, key_env: str | None = None
) -> ProviderError:
    kind, message = parse_error_body(body)
    detail = f"HTTP {status}" + (f" {kind}" if kind else "") + (f": {message}" if message else "")
    if status in (401, 403) or b"API_KEY_INVALID" in body:
        return auth_error(vendor, key_env, detail)
    if status == 429:
        return RateLimited(
            f"{vendor} rate-limited the request ({detail}); wait a moment and retry, "
            "or lower the request rate"
        )
    if status == 529 or kind in _OVERLOAD_TYPES:
        return Overloaded(f"{vendor} is overloaded ({detail}); retry later")
    if status >= 500:
        return ProviderError(f"{vendor} server error ({detail})", retryable=True)
    if status == 404:
        return ProviderError(
            f"{vendor} endpoint or model not found ({detail}); check the model name and base URL"
        )
    return ProviderError(f"{vendor} refused the request ({detail})")


def error_from_payload(vendor: str, err: Any, *, key_env: str | None = None) -> ProviderError:
    """Map an in-stream error object (``{"type": ..., "message": ...}``)."""
    if not isinstance(err, dict):
        return ProviderError(f"{vendor} sent an error in the stream: {err!r}")
    kind = str(err.get("type") or err.get("status") or err.get("code") or "unknown")
    message = str(err.get("message", ""))
    detail = f"{kind}: {message}" if message else kind
    if kind in _AUTH_TYPES:
        return auth_error(vendor, key_env, detail)
    if kind in _RATE_TYPES:
        return RateLimited(f"{vendor} rate-limited the request, in the stream ({detail})")
    if kind in _OVERLOAD_TYPES:
        return Overloaded(f"{vendor} is overloaded ({detail}); retry later")
    if kind in _SERVER_TYPES:
        return ProviderError(f"{vendor} server error in the stream ({detail})", retryable=True)
    return ProviderError(f"{vendor} sent an error in the stream ({detail})")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")


def retry_delay_from_body(body: bytes) -> float | None:
    """Gemini's ``RetryInfo.retryDelay`` (a protobuf Duration, "37s") in seconds, or None."""
    try:
        doc: Any = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, list) and doc:
        doc = doc[0]
    err = doc.get("error") if isinstance(doc, dict) else None
    details = err.get("details") if isinstance(err, dict) else None
    for item in details if isinstance(details, list) else ():
        if not isinstance(item, dict) or not str(item.get("@type", "")).endswith("RetryInfo"):
            continue
        match = _DURATION.match(str(item.get("retryDelay", "")))
        if match:
            return float(match.group(1))
    return None


def host_label(url: str) -> str:
    """``host:port`` of a base URL (the scheme's default port when none is given)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
