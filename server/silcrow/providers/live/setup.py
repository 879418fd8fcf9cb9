"""What a live session opens with: its URL, its key, its history.

Algorithm:
1. ``endpoint`` turns a ``ProviderConfig`` into the WebSocket URL of a
   transport: ``cfg.live_url`` if set (``path`` appended unless it already
   ends with it), else ``cfg.base_url`` with http(s) -> ws(s).
2. ``require_key`` returns the API key or raises ``AuthError`` naming
   ``cfg.api_key_env``.
3. ``split_system`` separates the system message (index 0 only) from the
   user/assistant history.
4. ``holds`` decides whether a reply the server holds already is the one the
   turn loop kept (equal up to trailing whitespace), sparing a correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from silcrow.providers.base import AuthError, Message, ProviderError
from silcrow.providers.config import ProviderConfig


def holds(said: str, kept: str) -> bool:
    """Whether a reply the server holds as ``said`` already is the ``kept`` one.

    The turn loop keeps a reply up to its last delimiter (``§execute``,
    ``§end``); a tail of whitespace after it carries nothing, so a session
    that holds ``said`` need not be corrected (corrections re-send context).
    """
    return said == kept or (said.startswith(kept) and not said[len(kept) :].strip())


def require_key(cfg: ProviderConfig) -> str:
    if cfg.api_key:
        return cfg.api_key
    where = cfg.api_key_env or "the API key variable of this provider"
    raise AuthError(f"No API key for {cfg.name} live sessions: set {where}.")


def endpoint(cfg: ProviderConfig, path: str) -> str:
    """The WebSocket URL of ``path`` (e.g. ``/responses``) for this config."""
    base = (cfg.live_url or cfg.base_url).rstrip("/")
    parts = urlsplit(base)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.netloc:
        raise ProviderError(
            f"Cannot derive a WebSocket URL from {base!r}: the base URL of provider "
            f"{cfg.name!r} must be http:// or https:// (the baseUrl setting)."
        )
    url = urlunsplit((scheme, parts.netloc, parts.path, "", ""))
    return url if parts.path.endswith(path) else url + path


def split_system(messages: Sequence[Message]) -> tuple[str, list[Message]]:
    """Return (system text, history), refusing a system message past index 0."""
    has_system = bool(messages) and messages[0].role == "system"
    system = messages[0].content if has_system else ""
    history = list(messages[1:] if has_system else messages)
    for index, message in enumerate(history):
        if message.role not in ("user", "assistant"):
            raise ProviderError(
                f"History message {index} has role {message.role!r}; only the first message "
                "may be the system message, the rest must be 'user' or 'assistant'."
            )
    return system, history
