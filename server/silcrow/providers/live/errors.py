"""Live-session failures -> ``ProviderError`` subclasses the agent acts on.

Algorithm:
1. A ``LiveVendor`` names the API in messages and holds its own advice: a
   sentence per vendor error code (``codes``) and per WebSocket close code
   (``closes``), appended to the generic message. Advice lives in each
   adapter; the mapping below knows no vendor.
2. ``error_for`` maps an ``error`` event's code: expired sessions and
   connection limits -> ``SessionLost``; key errors -> ``AuthError`` naming
   the variable; rate limits -> ``RateLimited``; server errors -> retryable;
   anything else -> plain ``ProviderError``.
3. ``closed_error`` maps a close: 1007 (invalid request; ``AuthError`` when
   the reason is about the API key) and 1008 (model refused) are the
   caller's to fix; every other close is ``SessionLost`` (reopen or replay).
4. ``handshake_error`` maps a failed upgrade: 401/403 -> ``AuthError``,
   404 -> the URL to check, 429 -> ``RateLimited``, 5xx and network errors
   -> retryable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from silcrow.providers.base import AuthError, ProviderError, RateLimited, SessionLost
from silcrow.providers.config import ProviderConfig


@dataclass(frozen=True, slots=True)
class LiveVendor:
    """One live API as errors name it, with its advice by error and close code."""

    name: str
    codes: Mapping[str, str] = field(default_factory=dict)
    closes: Mapping[int, str] = field(default_factory=dict)

    def advise(self, text: str, key: str | int) -> str:
        advice = self.codes.get(key, "") if isinstance(key, str) else self.closes.get(key, "")
        return f"{text} {advice}" if advice else text


def _key_variable(cfg: ProviderConfig) -> str:
    return cfg.api_key_env or "the API key"


def error_for(code: str, message: str, cfg: ProviderConfig, vendor: LiveVendor) -> ProviderError:
    """Map a vendor error code (from an ``error`` event) to a ProviderError."""
    text = f"{vendor.name}: {message or code} ({code})"
    if code in ("session_expired", "websocket_connection_limit_reached"):
        return SessionLost(vendor.advise(f"{text}; reopen the live session or use replay.", code))
    if code in ("invalid_api_key", "authentication_error", "unauthorized"):
        return AuthError(vendor.advise(f"{text}. Set {_key_variable(cfg)} to a valid key.", code))
    if code in ("rate_limit_exceeded", "rate_limit_error"):
        return RateLimited(vendor.advise(text, code))
    if code in ("server_error", "internal_error"):
        return ProviderError(vendor.advise(text, code), retryable=True)
    return ProviderError(vendor.advise(f"{text}.", code))


def closed_error(exc: ConnectionClosed, cfg: ProviderConfig, vendor: LiveVendor) -> ProviderError:
    """Map a WebSocket close to a ProviderError (1007/1008: the request was bad)."""
    code = exc.rcvd.code if exc.rcvd else 1006
    reason = exc.rcvd.reason if exc.rcvd else "connection dropped without a close frame"
    if code == 1007 and "api key" in reason.lower():
        return AuthError(f"{vendor.name} refused the API key ({reason}). Set {_key_variable(cfg)}.")
    if code == 1007:
        text = f"{vendor.name} closed the session as an invalid request (1007: {reason})."
        return ProviderError(vendor.advise(text, code))
    if code == 1008:
        text = (
            f"{vendor.name} refused the model (1008: {reason}). Check live_model / model in the "
            "provider config: the model must exist and support live sessions."
        )
        return ProviderError(vendor.advise(text, code))
    text = f"{vendor.name} live session ended ({code}: {reason or 'no reason'}); reopen it or use replay."
    return SessionLost(vendor.advise(text, code))


def handshake_error(
    exc: Exception, cfg: ProviderConfig, vendor: LiveVendor, url: str
) -> ProviderError:
    """Map a failed WebSocket upgrade (or a network error while dialling) to a ProviderError."""
    name = vendor.name
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return AuthError(
                f"{name} rejected the API key (HTTP {status}). Set {_key_variable(cfg)} to a valid key."
            )
        if status == 404:
            return ProviderError(
                f"{name}: no live endpoint at {url} (HTTP 404): the server has no live "
                "sessions for this model; use replay mode or another model."
            )
        if status == 429:
            return RateLimited(
                f"{name}: too many requests while opening the live session (HTTP 429)."
            )
        return ProviderError(
            f"{name}: live handshake failed (HTTP {status}).", retryable=status >= 500
        )
    if isinstance(exc, InvalidURI):
        return ProviderError(f"{name}: {url!r} is not a WebSocket URL; check the base URL.")
    return ProviderError(f"{name}: cannot open the live session at {url}: {exc}", retryable=True)
