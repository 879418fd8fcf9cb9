"""``LiveSessionBase``: the life cycle every live session shares.

Algorithm:
1. A session is usable until it is *lost*: the first ``ProviderError`` met
   while sending or truncating (raised through ``_guard``) or ``close()``
   is remembered in ``_lost``; from then on ``alive`` is False and
   ``_check`` refuses to send with ``SessionLost`` naming the cause, so the
   agent reopens the session or replays.
2. Before each send, ``_absorb_idle`` takes the frames that arrived while
   the session sat idle: each is decoded by the adapter's ``_decode``
   (which may also note handles or goAway), a ``Failed`` event goes to
   ``_fail`` (by default raised through ``error_for``), and a stale
   connection (``_stale``: closed, by default) goes to ``_reopen`` (by
   default ``SessionLost``; Gemini Live resumes instead).
3. ``_usage`` reports a reply's usage through the ``UsageMeter``, with the
   bytes sent on this and earlier connections (``_sent``) since the last
   report.
4. ``settle()`` finishes a reply the reader abandoned (the adapter's
   ``_finish_abandoned``, the same step ``send`` starts with) and reports
   what the meter carries: the usage of replies cut since the last report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from silcrow.providers.base import ProviderError, SessionLost, Usage
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor, error_for
from silcrow.providers.live.events import Failed, WireEvent
from silcrow.providers.live.frames import Frame
from silcrow.providers.live.usage import UsageMeter
from silcrow.providers.live.wire import Wire


class LiveSessionBase:
    """Shared state and steps of a live session; adapters add open/send/truncate."""

    vendor: ClassVar[LiveVendor]

    def __init__(self, cfg: ProviderConfig, wire: Wire | None = None) -> None:
        self._cfg = cfg
        self._wire = wire
        self._meter = UsageMeter()
        self._lost: ProviderError | None = None
        self._sent = 0  # bytes sent on earlier connections of this session

    @property
    def alive(self) -> bool:
        return self._lost is None and self._connected()

    async def close(self) -> None:
        self._lost = self._lost or SessionLost(f"{self.vendor.name}: the session was closed.")
        if self._wire is not None:
            await self._wire.close()

    # --- for the adapters -----------------------------------------------------

    @property
    def _live(self) -> Wire:
        if self._wire is None:
            raise SessionLost(f"{self.vendor.name}: the session is not connected.")
        return self._wire

    def _connected(self) -> bool:
        return self._wire is not None and self._wire.open

    def _check(self) -> None:
        if self._lost is not None:
            raise SessionLost(
                f"{self.vendor.name}: the session is no longer usable ({self._lost}); reopen it."
            )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Remember the first ``ProviderError`` raised inside as the session's loss."""
        try:
            yield
        except ProviderError as exc:
            self._lost = exc
            raise

    def _decode(self, frame: Frame) -> list[WireEvent]:
        raise NotImplementedError

    def _fail(self, failure: Failed) -> None:
        raise error_for(failure.code, failure.message, self._cfg, self.vendor)

    def _stale(self) -> bool:
        return not self._live.open

    async def _reopen(self) -> None:
        raise SessionLost(
            f"{self.vendor.name}: the connection closed while idle; reopen the session."
        )

    async def _absorb_idle(self) -> None:
        """Act on frames that arrived while idle; a stale connection is reopened or lost."""
        for frame in await self._live.poll():
            for event in self._decode(frame):
                if isinstance(event, Failed):
                    self._fail(event)
        if self._stale():
            await self._reopen()

    async def settle(self) -> Usage:
        self._check()
        with self._guard():
            await self._finish_abandoned()
            return self._usage(None)

    async def _finish_abandoned(self) -> None:
        """Drain (or cancel) a reply the reader stopped reading; adapters override."""

    def _usage(self, usage: Usage | None) -> Usage:
        """This reply's usage plus carried ones; bytes: every frame since the last report."""
        return self._meter.report(usage, self._sent + self._live.sent_bytes)
