"""What the three live WebSocket transports share: dialling, framing, errors.

Algorithm:
1. ``endpoint`` turns a ``ProviderConfig`` into the WebSocket URL of a
   transport (``cfg.live_url`` if set, else ``cfg.base_url`` with
   http(s) -> ws(s)).
2. ``dial`` opens the socket through an injectable ``connect`` function and
   maps handshake failures to ``ProviderError`` subclasses (401/403 ->
   ``AuthError`` naming ``cfg.api_key_env``).
3. ``Wire`` is the thin driver around an open socket: ``send`` writes one
   compact JSON frame and counts its bytes, ``recv`` reads one frame within
   ``cfg.timeout`` seconds, ``poll`` takes only frames that already arrived.
   A close or a silence becomes ``SessionLost`` (1007/1008 closes, which mean
   a bad request, become plain ``ProviderError``).
4. The sans-I/O decoders of each transport turn server frames into the small
   typed ``WireEvent`` union below; the sessions act on those, never on dicts.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException
from websockets.protocol import State

from silcrow.providers.base import (
    AuthError,
    Message,
    ProviderError,
    RateLimited,
    SessionLost,
    Usage,
)
from silcrow.providers.config import ProviderConfig

Connect = Callable[..., Awaitable[Any]]
Frame = dict[str, Any]

MAX_FRAME = 16 * 2**20  # bytes; a reply frame larger than this is refused


# --- decoded server events (the sessions' whole vocabulary) -----------------


@dataclass(frozen=True, slots=True)
class Started:
    """A response (``response_id``) or its output item (``item_id``) began."""

    response_id: str = ""
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The response is over; ``usage`` is None when the frame carried none."""

    usage: Usage | None = None
    status: str = "completed"
    response_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Billed:
    """Usage figures that arrived apart from the end of the response."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class Failed:
    code: str
    message: str
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class Ack:
    """The server confirmed something: ``what`` names it, ``ref`` is its id."""

    what: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class Handle:
    """A Gemini Live session resumption handle."""

    handle: str


@dataclass(frozen=True, slots=True)
class GoAway:
    time_left: str = ""


WireEvent = Started | Text | Finished | Billed | Failed | Ack | Handle | GoAway


# --- configuration and messages ---------------------------------------------


def new_id(prefix: str) -> str:
    """A client-side id (at most 32 characters, as Realtime item ids must be)."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def holds(said: str, kept: str) -> bool:
    """Whether a reply the server holds as ``said`` already is the ``kept`` one.

    The turn loop keeps a reply up to its last delimiter (``§execute``,
    ``§end``); a tail of whitespace after it carries nothing, so a session
    that holds ``said`` need not be corrected (corrections re-send context).
    """
    return said == kept or (said.startswith(kept) and not said[len(kept):].strip())


def require_key(cfg: ProviderConfig) -> str:
    if cfg.api_key:
        return cfg.api_key
    where = cfg.api_key_env or "the API key variable of this provider"
    raise AuthError(f"No API key for {cfg.name} live sessions: set {where}.")


def endpoint(cfg: ProviderConfig, path: str) -> str:
    """The WebSocket URL of ``path`` (e.g. ``/responses``) for this config.

    ``cfg.live_url`` wins: used as is when it already ends with ``path``,
    else ``path`` is appended. Otherwise ``cfg.base_url`` is used with its
    scheme switched to ws/wss.
    """
    base = (cfg.live_url or cfg.base_url).rstrip("/")
    parts = urlsplit(base)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.netloc:
        raise ProviderError(
            f"Cannot derive a WebSocket URL from {base!r}: set live_url (ws:// or wss://) "
            f"or base_url (http:// or https://) for provider {cfg.name!r}."
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


_SNAKE = re.compile(r"_([a-z0-9])")


def camelize(value: Any) -> Any:
    """Protobuf-JSON key spelling: ``turn_complete`` -> ``turnComplete`` (keys only)."""
    if isinstance(value, dict):
        return {_SNAKE.sub(lambda m: m.group(1).upper(), k): camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def parse_frame(raw: str | bytes) -> Frame:
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProviderError(f"The live server sent a frame that is not JSON: {exc}") from exc
    if not isinstance(frame, dict):
        raise ProviderError("The live server sent a JSON frame that is not an object.")
    return frame


def obj(value: Any) -> Frame:
    """``value`` if it is a JSON object, else an empty one (wire data is untrusted)."""
    return value if isinstance(value, dict) else {}


def dumps(frame: Frame) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


# --- errors -----------------------------------------------------------------


def error_for(code: str, message: str, cfg: ProviderConfig, vendor: str) -> ProviderError:
    """Map a vendor error code (from an ``error`` event) to a ProviderError."""
    text = f"{vendor}: {message or code} ({code})"
    if code in ("session_expired", "websocket_connection_limit_reached"):
        return SessionLost(f"{text}; reopen the live session or use replay.")
    if code == "beta_api_shape_disabled":
        return ProviderError(
            f"{text}. The server refused the beta Realtime protocol; connect without the "
            "OpenAI-Beta header (Silcrow speaks the GA protocol) and use a current gpt-realtime model."
        )
    if code in ("invalid_api_key", "authentication_error", "unauthorized"):
        return AuthError(f"{text}. Set {cfg.api_key_env or 'the API key'} to a valid key.")
    if code in ("rate_limit_exceeded", "rate_limit_error"):
        return RateLimited(text)
    if code in ("server_error", "internal_error"):
        return ProviderError(text, retryable=True)
    return ProviderError(text)


def closed_error(exc: ConnectionClosed, cfg: ProviderConfig, vendor: str) -> ProviderError:
    """Map a WebSocket close to a ProviderError (1007/1008: the request was bad)."""
    code = exc.rcvd.code if exc.rcvd else 1006
    reason = exc.rcvd.reason if exc.rcvd else "connection dropped without a close frame"
    if code == 1007 and "api key" in reason.lower():
        return AuthError(f"{vendor} refused the API key ({reason}). Set {cfg.api_key_env or 'the API key'}.")
    if code == 1007:
        return ProviderError(
            f"{vendor} closed the session as an invalid request (1007: {reason}). If the model "
            "only outputs audio, set extra['gemini_live_modality'] to 'AUDIO'."
        )
    if code == 1008:
        return ProviderError(
            f"{vendor} refused the model (1008: {reason}). Check live_model / model in the "
            "provider config: the model must exist and support live sessions."
        )
    return SessionLost(f"{vendor} live session ended ({code}: {reason or 'no reason'}); reopen it or use replay.")


def handshake_error(exc: Exception, cfg: ProviderConfig, vendor: str, url: str) -> ProviderError:
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return AuthError(
                f"{vendor} rejected the API key (HTTP {status}). Set {cfg.api_key_env or 'the API key'} to a valid key."
            )
        if status == 404:
            return ProviderError(f"{vendor}: no live endpoint at {url} (HTTP 404); check live_url and the model.")
        if status == 429:
            return RateLimited(f"{vendor}: too many requests while opening the live session (HTTP 429).")
        return ProviderError(f"{vendor}: live handshake failed (HTTP {status}).", retryable=status >= 500)
    if isinstance(exc, InvalidURI):
        return ProviderError(f"{vendor}: {url!r} is not a WebSocket URL; fix live_url.")
    return ProviderError(f"{vendor}: cannot open the live session at {url}: {exc}", retryable=True)


# --- the driver -------------------------------------------------------------


async def dial(
    cfg: ProviderConfig, url: str, headers: dict[str, str], vendor: str, connect: Connect | None
) -> Wire:
    """Open a WebSocket to ``url`` and wrap it; failures become ProviderErrors."""
    try:
        ws = await (connect or ws_connect)(
            url, additional_headers=headers, open_timeout=cfg.connect_timeout, max_size=MAX_FRAME
        )
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise handshake_error(exc, cfg, vendor, url) from exc
    return Wire(ws, cfg, vendor)


class Wire:
    """One open socket: JSON frames out (bytes counted), frames in (with a timeout)."""

    def __init__(self, ws: Any, cfg: ProviderConfig, vendor: str) -> None:
        self._ws = ws
        self._cfg = cfg
        self.vendor = vendor
        self.sent_bytes = 0

    @property
    def open(self) -> bool:
        return bool(self._ws.state is State.OPEN)

    async def send(self, frame: Frame) -> None:
        data = dumps(frame)
        try:
            await self._ws.send(data)
        except ConnectionClosed as exc:
            raise closed_error(exc, self._cfg, self.vendor) from exc
        self.sent_bytes += len(data.encode())

    async def recv(self) -> Frame:
        try:
            async with asyncio.timeout(self._cfg.timeout):
                raw = await self._ws.recv()
        except TimeoutError as exc:
            raise SessionLost(
                f"{self.vendor} sent nothing for {self._cfg.timeout:g} s; the live session was given "
                "up (raise timeout in the provider config if the model is slow)."
            ) from exc
        except ConnectionClosed as exc:
            raise closed_error(exc, self._cfg, self.vendor) from exc
        return parse_frame(raw)

    async def poll(self) -> list[Frame]:
        """Frames that already arrived, without waiting for more."""
        frames: list[Frame] = []
        while True:
            try:
                async with asyncio.timeout(0):
                    raw = await self._ws.recv()
            except (TimeoutError, ConnectionClosed):
                return frames
            frames.append(parse_frame(raw))

    async def close(self) -> None:
        try:
            await self._ws.close()
        except (OSError, WebSocketException):
            pass


class UsageMeter:
    """Usage owed to the caller of a live session.

    Usage of replies the caller cut short (and of drained tails) is carried
    into the next report, so every billed token is reported exactly once;
    ``sent_bytes`` of a report is every byte sent since the previous report.
    """

    def __init__(self) -> None:
        self.carry = Usage()
        self.reported = 0

    def add(self, usage: Usage) -> None:
        self.carry += usage

    def report(self, usage: Usage | None, sent_total: int) -> Usage:
        total, self.carry = (usage or Usage()) + self.carry, Usage()
        sent, self.reported = sent_total - self.reported, sent_total
        return replace(total, sent_bytes=sent)
