"""A loopback WebSocket server speaking three live LLM protocols, for tests.

``FakeWSServer`` (aiohttp, 127.0.0.1, random port) hosts, at their real paths:
``/v1/responses`` (OpenAI Responses WebSocket mode, ``ws_responses``),
``/v1/realtime`` (OpenAI Realtime GA, ``ws_realtime``) and
``/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent``
(Gemini Live, ``ws_gemini``).

Algorithm:
1. Each upgrade becomes a ``FakeConn``: it counts every client frame
   (frames, bytes, tokens by ``count_tokens``), keeps the decoded frames, and
   bills each response in ``server.ledger`` on its whole context (cached =
   the prefix the same connection saw before, as the vendors bill).
2. The "model" is ``server.script``: each response takes ``next_reply()`` and
   streams its ``chunks`` ``delay`` seconds apart. Replies do not stop at
   ``§execute`` (these APIs have no stop sequences): only a cancel or an
   interruption stops them.
3. Faults on cue (``server.faults``, or the ``*_now`` methods): drop the
   connection after N chunks, or right after the chunk that completes a
   given text (a point in the reply: inside ``§think``, mid-``§call`` JSON,
   just after ``§execute``); expire the session after N responses or now;
   goAway after N turns or now. Each fired drop is counted in ``drops``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

import fakes.ws_gemini as ws_gemini
import fakes.ws_realtime as ws_realtime
import fakes.ws_responses as ws_responses
from silcrow.testing import Bill, Ledger, Script, count_tokens

PATHS = {
    "responses": "/v1/responses",
    "realtime": "/v1/realtime",
    "gemini-live": ws_gemini.PATH,
}


class Dropped(Exception):
    """The fake dropped its connection on cue."""


@dataclass
class Faults:
    """Faults the server injects; the ``drop`` one fires once, then resets."""

    drop_after_chunks: int | None = None  # next response: drop the TCP connection after N chunks
    drop_after_text: str | None = (
        None  # drop once a response has sent this text (its chunk included)
    )
    session_limit: int | None = None  # responses per connection before session_expired + 1001
    go_away_after_turns: int | None = None  # Gemini: goAway + close after N turns per connection
    gemini_session_turns: int | None = None  # Gemini: without compression, close 1011 after N turns
    gemini_lose_turn_complete: bool = False  # Gemini: no turnComplete after ``interrupted``


@dataclass
class FakeConn:
    """One client connection: counters, the decoded frames, sending helpers."""

    server: FakeWSServer
    kind: str
    ws: web.WebSocketResponse
    request: web.Request
    index: int
    frames: list[dict[str, Any]] = field(default_factory=list)
    received_frames: int = 0
    received_bytes: int = 0
    received_tokens: int = 0
    responses: int = 0
    events_sent: int = 0
    state: Any = None  # the protocol's conversation state, for inspection
    _unbilled: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def client_frames(self) -> AsyncIterator[dict[str, Any]]:
        """Decoded client frames (text or binary JSON); bad JSON ends the connection."""
        async for msg in self.ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            raw = msg.data if isinstance(msg.data, str) else msg.data.decode("utf-8", "replace")
            self.received_frames += 1
            self.received_bytes += len(raw.encode())
            self.received_tokens += count_tokens(raw)
            self._unbilled.append(raw)
            try:
                frame = json.loads(raw)
            except ValueError:
                await self.close(1007, "frame is not JSON")
                return
            if isinstance(frame, dict):
                self.frames.append(frame)
                yield frame

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_str(json.dumps(frame))

    async def close(self, code: int, reason: str = "") -> None:
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        await self.ws.close(code=code, message=reason.encode())

    async def error(
        self, code: str, message: str, *, param: str | None = None, event_id: str | None = None
    ) -> None:
        """An OpenAI-style ``error`` event (Realtime and Responses WebSocket share it)."""
        self.events_sent += 1
        detail = {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
            "event_id": event_id,
        }
        await self.send(
            {
                "type": "error",
                "event_id": f"event_{self.index}_{self.events_sent}",
                "status": 400,
                "error": detail,
            }
        )

    async def expire(self) -> None:
        """The session hit its time limit: error ``session_expired``, close 1001."""
        self.server.expiries += 1
        await self.error("session_expired", "Your session hit the maximum duration of 60 minutes.")
        await self.close(1001, "session expired")

    def over_limit(self) -> bool:
        limit = self.server.faults.session_limit
        return limit is not None and self.responses >= limit

    @staticmethod
    def render(items: list[tuple[str, str]]) -> str:
        """The context a model sees, as text for token counting."""
        return "".join(f"{role}: {text}\n" for role, text in items if text)

    def drop(self) -> None:
        """Cut the TCP connection without a close frame."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    def spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run ``work`` beside the reader loop; a dropped connection just ends it."""

        async def guarded() -> None:
            with contextlib.suppress(Dropped, ConnectionError):
                await work

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def bill(self, context: str, output: str, *, cache: bool = True) -> Bill:
        """Charge one response on its whole context; received = frames since the last bill."""
        self.responses += 1
        key = f"{self.kind}:{self.index}" if cache else f"{self.kind}:{self.index}:{self.responses}"
        received, self._unbilled = "".join(self._unbilled), []
        return self.server.ledger.charge(context=context, output=output, received=received, key=key)

    async def stream(
        self, emit: Callable[[str], Awaitable[None]], stopped: asyncio.Event
    ) -> tuple[str, bool]:
        """Stream the next scripted reply; return (text sent, completed)."""
        script = self.server.script
        sent: list[str] = []
        for chunk in script.chunks(script.next_reply()):
            await asyncio.sleep(script.delay)
            if stopped.is_set():
                return "".join(sent), False
            await emit(chunk)
            sent.append(chunk)
            if self.server.take_drop(len(sent), "".join(sent)):
                self.drop()
                raise Dropped
        return "".join(sent), True


class FakeWSServer:
    """``async with FakeWSServer(script) as server: server.url("realtime")``."""

    def __init__(
        self,
        script: Script | None = None,
        *,
        api_key: str | None = None,
        faults: Faults | None = None,
        gemini_models: dict[str, str] | None = None,
        gemini_history_only: set[str] | None = None,
    ) -> None:
        self.script = script or Script()
        self.api_key = api_key  # None: any non-empty key is accepted
        self.faults = faults or Faults()
        self.gemini_models = dict(ws_gemini.MODELS if gemini_models is None else gemini_models)
        # Gemini models that take clientContent only as initial history (1007 later)
        self.gemini_history_only = set(gemini_history_only or ())
        self.ledger = Ledger()
        self.conns: list[FakeConn] = []
        self.handles: dict[str, Any] = {}  # Gemini resumption handle -> saved session
        self.stored: dict[str, Any] = {}  # Responses made with store true: any connection chains
        self.drops = 0  # drop faults fired
        self.expiries = 0  # sessions expired (session_expired + 1001)
        self.go_aways = 0  # goAway messages sent
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def connections(self) -> int:
        return len(self.conns)

    def url(self, kind: str) -> str:
        if kind not in PATHS:
            raise ValueError(f"unknown protocol {kind!r}; use one of {sorted(PATHS)}")
        return f"ws://127.0.0.1:{self._port}{PATHS[kind]}"

    @property
    def http_base(self) -> str:
        """An HTTP base URL from which the adapters derive the WebSocket URLs."""
        return f"http://127.0.0.1:{self._port}/v1"

    def of_kind(self, kind: str) -> list[FakeConn]:
        return [c for c in self.conns if c.kind == kind]

    def key_ok(self, key: str | None) -> bool:
        return bool(key) and (self.api_key is None or key == self.api_key)

    def take_drop(self, chunks_sent: int, text_sent: str) -> bool:
        """Whether a drop fault fires now (each fires once, then resets)."""
        faults = self.faults
        if faults.drop_after_chunks is not None and chunks_sent >= faults.drop_after_chunks:
            faults.drop_after_chunks = None
        elif faults.drop_after_text is not None and faults.drop_after_text in text_sent:
            faults.drop_after_text = None
        else:
            return False
        self.drops += 1
        return True

    async def expire_now(self) -> None:
        """OpenAI connections: error ``session_expired`` then close 1001."""
        for conn in self.conns:
            if conn.kind != "gemini-live" and not conn.ws.closed:
                await conn.expire()

    async def go_away_now(self, time_left: str = "30s") -> None:
        """Gemini connections: send ``goAway``; the connection stays open."""
        for conn in self.of_kind("gemini-live"):
            self.go_aways += 1
            await conn.send({"goAway": {"timeLeft": time_left}})

    async def __aenter__(self) -> FakeWSServer:
        app = web.Application()
        app.router.add_get(
            PATHS["responses"], self._handler("responses", ws_responses.serve, ws_responses.admit)
        )
        app.router.add_get(
            PATHS["realtime"], self._handler("realtime", ws_realtime.serve, ws_realtime.admit)
        )
        app.router.add_get(
            PATHS["gemini-live"], self._handler("gemini-live", ws_gemini.serve, None)
        )
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in self.conns:  # a client that never closed must not hold up shutdown
            for task in list(conn._tasks):
                task.cancel()
            if not conn.ws.closed:
                conn.drop()
        if self._runner is not None:
            await self._runner.cleanup()

    def _handler(
        self,
        kind: str,
        serve: Callable[[FakeConn], Awaitable[None]],
        admit: Callable[[FakeWSServer, web.Request], web.StreamResponse | None] | None,
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            refusal = admit(self, request) if admit else None
            if refusal is not None:
                return refusal
            ws = web.WebSocketResponse(max_msg_size=16 * 2**20)
            await ws.prepare(request)
            conn = FakeConn(self, kind, ws, request, len(self.conns))
            self.conns.append(conn)
            with contextlib.suppress(Dropped, ConnectionError):
                await serve(conn)
            for task in list(conn._tasks):
                task.cancel()
            return ws

        return handle
