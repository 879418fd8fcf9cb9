"""The thin driver around one open live socket.

Algorithm:
1. ``dial`` opens a WebSocket through an injectable ``connect`` function
   (tests pass their own) with a frame size limit, mapping handshake
   failures with ``handshake_error``.
2. ``Wire.send`` writes one compact JSON frame and counts its bytes;
   ``recv`` reads one frame within ``cfg.timeout`` seconds; ``poll`` takes
   only frames that already arrived. A close becomes ``closed_error``'s
   ProviderError, a silence ``SessionLost``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.protocol import State

from silcrow.providers.base import SessionLost
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor, closed_error, handshake_error
from silcrow.providers.live.frames import Frame, dumps, parse_frame

Connect = Callable[..., Awaitable[Any]]

MAX_FRAME = 16 * 2**20  # bytes; a reply frame larger than this is refused


async def dial(
    cfg: ProviderConfig,
    url: str,
    headers: dict[str, str],
    vendor: LiveVendor,
    connect: Connect | None,
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

    def __init__(self, ws: Any, cfg: ProviderConfig, vendor: LiveVendor) -> None:
        self._ws = ws
        self._cfg = cfg
        self.vendor = vendor
        self.sent_bytes = 0

    @property
    def open(self) -> bool:
        return bool(self._ws.state is State.OPEN)

    @property
    def close_code(self) -> int | None:
        """The code the server closed with (None while open or after a drop)."""
        code = getattr(self._ws, "close_code", None)
        return code if isinstance(code, int) else None

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
                f"{self.vendor.name} sent nothing for {self._cfg.timeout:g} s; the live session was given "
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
