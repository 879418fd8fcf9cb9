"""Gemini Live (BidiGenerateContent) as a live session; text via transcription.

Algorithm:
1. Open: dial the BidiGenerateContent endpoint (key in the
   ``x-goog-api-key`` header) and send ``setup``: the model, one response
   modality (``cfg.extra["gemini_live_modality"]``, default ``AUDIO`` with
   ``outputAudioTranscription``, since no Live model serves TEXT), the system
   instruction, ``sessionResumption: {}`` and, when there is history,
   ``historyConfig.initialHistoryInClientContent``, and
   ``contextWindowCompression: {slidingWindow: {}}`` (without it a session
   ends after about 15 minutes; ``extra["gemini_context_compression"] =
   False`` leaves it out). After ``setupComplete`` the history goes as one
   ``clientContent`` (assistant -> role ``model``) with ``turnComplete:
   true``; under that history config the server takes it as history and
   generates nothing.
2. ``send(text)``: take frames that arrived while idle (resumption handles,
   ``goAway``); after a ``goAway`` or a close, resume first (step 4). Then
   one ``clientContent`` with the user turn and ``turnComplete: true``; text
   comes from ``modelTurn`` parts or ``outputTranscription``; the reply ends
   at ``turnComplete`` (one ``Stop`` from its ``turnCompleteReason``,
   ``live.stops``); usage from the last ``usageMetadata``. A model that
   closes with 1007 on that mid-session ``clientContent`` (reported for
   ``gemini-3.1-flash-live-preview`` in March 2026) is remembered for this
   process (``TEXT_INPUT_MODELS``); the session is resumed and the turn is
   sent again, as every later one, as ``realtimeInput: {text}``.
3. ``truncate(kept)``: Live has neither cancel nor a way to delete a turn. An
   empty ``clientContent`` (``turnComplete: false``) interrupts the
   generation; the rest is drained to ``turnComplete``, but once
   ``interrupted`` arrived at most ``extra["gemini_interrupt_grace"]``
   seconds (1.0) more: some models never send that ``turnComplete``; a late
   one is recognised and skipped. If the text differs from ``kept``, the
   corrected turn ``kept`` is appended as a ``model`` turn. The server
   history then holds the interrupted turn (``kept`` plus the tail
   generated before the interruption landed) followed by the corrected one:
   close, not exact. On a ``realtimeInput`` model neither the interruption
   nor the correction can be sent (both are ``clientContent``): the reply
   is drained whole and, like one truncated after it was read, stays in the
   server's history as generated. Replay (Gemini's default) is exact.
4. Between turns, a ``goAway`` or a closed socket means: reconnect with the
   latest resumable ``sessionResumptionUpdate.newHandle``; the server restores
   the history and nothing is re-sent. A connection that dies before any text
   of the current reply was yielded is resumed the same way and the user turn
   sent again; after text was yielded, or without a handle, ``SessionLost``.
``Usage.sent_bytes`` counts every frame sent since the previous ``Usage``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from silcrow.providers.base import Message, ProviderError, SessionLost, StreamItem, TextDelta, Usage
from silcrow.providers.config import ProviderConfig
from silcrow.providers.live.errors import LiveVendor
from silcrow.providers.live.events import Ack, Billed, Finished, GoAway, Handle, Text, WireEvent
from silcrow.providers.live.frames import Frame, camelize
from silcrow.providers.live.session import LiveSessionBase
from silcrow.providers.live.setup import holds, require_key, split_system
from silcrow.providers.live.stops import gemini_stop
from silcrow.providers.live.wire import Connect, dial

VENDOR = LiveVendor(
    "Gemini Live",
    closes={1007: "If the model only outputs audio, set extra['gemini_live_modality'] to 'AUDIO'."},
)
LIVE_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
MODALITIES = ("AUDIO", "TEXT")
# Models that closed with 1007 on a mid-session clientContent: their turns go as realtimeInput.
TEXT_INPUT_MODELS: set[str] = set()


# --- sans-I/O wire translation ---------------------------------------------


def live_url(cfg: ProviderConfig) -> str:
    """``cfg.live_url`` if it names the endpoint, else the host of live_url/base_url."""
    base = cfg.live_url or cfg.base_url
    parts = urlsplit(base)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.netloc:
        raise ProviderError(
            f"Cannot derive the Gemini Live URL from {base!r}: the base URL must be "
            "http:// or https:// (GEMINI_BASE_URL or the baseUrl setting)."
        )
    path = parts.path if parts.path.endswith("BidiGenerateContent") else LIVE_PATH
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def handshake(cfg: ProviderConfig) -> tuple[str, dict[str, str]]:
    """The WebSocket URL and headers a session (or ``silcrow doctor``) dials."""
    return live_url(cfg), {"x-goog-api-key": require_key(cfg)}


def modality(cfg: ProviderConfig) -> str:
    value = str(cfg.extra.get("gemini_live_modality", "AUDIO")).upper()
    if value not in MODALITIES:
        raise ProviderError(
            f"extra['gemini_live_modality'] is {value!r}; use 'AUDIO' (text via transcription) or 'TEXT'."
        )
    return value


def turn(role: str, text: str) -> Frame:
    return {"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]}


def setup_frame(cfg: ProviderConfig, system: str, *, handle: str | None, history: bool) -> Frame:
    model = cfg.live_model or cfg.model
    mode = modality(cfg)
    setup: Frame = {
        "model": model if model.startswith("models/") else f"models/{model}",
        "generationConfig": {
            "responseModalities": [mode],
            "maxOutputTokens": cfg.max_output_tokens,
        },
        "sessionResumption": {"handle": handle} if handle else {},
    }
    if mode == "AUDIO":
        setup["outputAudioTranscription"] = {}
    if system:
        setup["systemInstruction"] = {"parts": [{"text": system}]}
    if history:
        setup["historyConfig"] = {"initialHistoryInClientContent": True}
    if cfg.extra.get("gemini_context_compression", True) is not False:
        setup["contextWindowCompression"] = {"slidingWindow": {}}
    return {"setup": setup}


def user_frame(text: str, *, realtime: bool) -> Frame:
    """A user turn as ``clientContent`` or, for models that refuse that mid-session, ``realtimeInput``."""
    if realtime:
        return {"realtimeInput": {"text": text}}
    return {"clientContent": {"turns": [turn("user", text)], "turnComplete": True}}


def usage_of(raw: Any) -> Usage:
    raw = raw if isinstance(raw, dict) else {}
    output = raw.get("responseTokenCount", raw.get("candidatesTokenCount")) or 0
    return Usage(
        input_tokens=int(raw.get("promptTokenCount") or 0)
        + int(raw.get("toolUsePromptTokenCount") or 0),
        cached_tokens=int(raw.get("cachedContentTokenCount") or 0),
        output_tokens=int(output) + int(raw.get("thoughtsTokenCount") or 0),
    )


def _content(content: Frame) -> list[WireEvent]:
    events: list[WireEvent] = []
    for part in (content.get("modelTurn") or {}).get("parts") or []:
        if isinstance(part, dict) and part.get("text") and not part.get("thought"):
            events.append(Text(str(part["text"])))
    transcript = content.get("outputTranscription") or {}
    if transcript.get("text"):
        events.append(Text(str(transcript["text"])))
    if content.get("interrupted"):
        events.append(Ack("interrupted"))
    return events


def decode(frame: Frame) -> list[WireEvent]:
    """One server message (either key spelling) -> typed events, in order."""
    frame = camelize(frame)
    events: list[WireEvent] = []
    if "setupComplete" in frame:
        events.append(Ack("setup"))
    content = frame.get("serverContent")
    if isinstance(content, dict):
        events += _content(content)
    if isinstance(frame.get("usageMetadata"), dict):
        events.append(Billed(usage_of(frame["usageMetadata"])))
    if isinstance(content, dict) and content.get("turnComplete"):
        status = "interrupted" if content.get("interrupted") else "completed"
        events.append(Finished(None, status, reason=str(content.get("turnCompleteReason") or "")))
    if isinstance(frame.get("goAway"), dict):
        events.append(GoAway(str(frame["goAway"].get("timeLeft", ""))))
    update = frame.get("sessionResumptionUpdate")
    if isinstance(update, dict) and update.get("resumable") and update.get("newHandle"):
        events.append(Handle(str(update["newHandle"])))
    return events


# --- the session ------------------------------------------------------------


class GeminiLiveSession(LiveSessionBase):
    """A Live session that survives goAway by resumption; see the module docstring."""

    vendor = VENDOR

    def __init__(self, cfg: ProviderConfig, system: str, connect: Connect | None) -> None:
        super().__init__(cfg)
        self._system = system
        self._connect = connect
        self._url, self._headers = handshake(cfg)
        self._handle: str | None = None
        self._going = False
        self._inflight: list[str] | None = None  # text read so far of the reply in flight
        self._last: str | None = None  # the last reply as the model should remember it
        self._billed: Usage | None = None
        self._owed = False  # a drain gave up before its turnComplete: skip it when it comes
        self._grace = float(cfg.extra.get("gemini_interrupt_grace", 1.0))
        self.resumptions = 0

    async def start(self, history: Sequence[Message]) -> None:
        await self._connect_wire(handle=None, history=bool(history))
        if history:
            turns = [turn(m.role, m.content) for m in history]
            await self._live.send({"clientContent": {"turns": turns, "turnComplete": True}})

    @property
    def _model(self) -> str:
        return self._cfg.live_model or self._cfg.model

    @property
    def _realtime_input(self) -> bool:
        return self._model in TEXT_INPUT_MODELS

    async def send(self, text: str) -> AsyncIterator[StreamItem]:
        self._check()
        with self._guard():
            await self._finish_abandoned()
            await self._absorb_idle()
            seen = self._inflight = []
            for attempt in (1, 2):
                realtime = self._realtime_input
                try:
                    await self._live.send(user_frame(text, realtime=realtime))
                    async for event in self._turn():
                        if isinstance(event, Text):
                            seen.append(event.text)
                            yield TextDelta(text=event.text)
                        else:
                            self._inflight, self._last = None, "".join(seen)
                            self._meter.add(self._billed or Usage())  # owed until read
                            yield gemini_stop(event)
                            yield self._usage(None)
                    return
                except SessionLost:
                    if seen or attempt == 2 or self._handle is None:
                        raise
                    await self._resume()
                except ProviderError:
                    if seen or attempt == 2 or realtime or self._live.close_code != 1007:
                        raise
                    TEXT_INPUT_MODELS.add(self._model)  # step 2: this model wants realtimeInput
                    await self._resume()

    async def truncate(self, kept: str) -> None:
        with self._guard():
            if self._inflight is not None:
                await self._interrupt(kept)
            elif (
                self._last is not None and not self._realtime_input and not holds(self._last, kept)
            ):
                await self._restate(kept)  # a realtimeInput model keeps the reply as generated

    # --- steps ---------------------------------------------------------------

    def _connected(self) -> bool:
        """Connected, or able to resume: a closed socket with a handle is resumed on send."""
        return super()._connected() or self._handle is not None

    def _stale(self) -> bool:
        return self._going or not self._live.open

    async def _reopen(self) -> None:
        await self._resume()

    async def _connect_wire(self, *, handle: str | None, history: bool) -> None:
        if self._wire is not None:
            self._sent += self._wire.sent_bytes
            await self._wire.close()
        self._wire = await dial(self._cfg, self._url, self._headers, VENDOR, self._connect)
        await self._wire.send(setup_frame(self._cfg, self._system, handle=handle, history=history))
        while Ack("setup") not in self._decode(await self._wire.recv()):
            pass

    def _decode(self, frame: Frame) -> list[WireEvent]:
        """Decode a frame and keep what the session tracks (handles, goAway, usage)."""
        events = decode(frame)
        for event in events:
            if isinstance(event, Handle):
                self._handle = event.handle
            elif isinstance(event, GoAway):
                self._going = True
            elif isinstance(event, Billed):
                self._billed = event.usage
            elif isinstance(event, Finished) and self._owed and self._inflight is None:
                self._settle_owed()  # the late end of a drained turn, seen while idle
        return events

    def _settle_owed(self) -> None:
        self._owed = False
        self._meter.add(self._billed or Usage())
        self._billed = None

    async def _turn(self) -> AsyncIterator[Text | Finished]:
        """Text of the turn in flight, then its ``Finished``."""
        self._billed = None
        texts = 0
        while True:
            for event in self._decode(await self._live.recv()):
                if isinstance(event, Finished) and self._owed and not texts:
                    self._settle_owed()  # the late end of the drained turn, not of this one
                    continue
                if isinstance(event, Text | Finished):
                    texts += isinstance(event, Text)
                    yield event
                if isinstance(event, Finished):
                    return

    async def _finish_abandoned(self) -> None:
        if self._inflight is not None:  # abandoned without truncate: keep what was read
            await self._interrupt("".join(self._inflight))

    async def _interrupt(self, kept: str) -> None:
        """Stop the reply in flight, drain it (bounded), and append ``kept`` if it differs."""
        seen = "".join(self._inflight or [])
        realtime = self._realtime_input
        if not realtime:
            await self._live.send({"clientContent": {"turns": [], "turnComplete": False}})
        said = seen + "".join(await self._drain())
        self._inflight, self._last = None, said
        if not realtime and not holds(said, kept):
            await self._restate(kept)

    async def _drain(self) -> list[str]:
        """The rest of the reply; after ``interrupted``, wait ``_grace`` s at most for its end."""
        rest: list[str] = []
        interrupted = False
        self._billed = None
        while True:
            try:
                async with asyncio.timeout(self._grace if interrupted else None):
                    frame = await self._live.recv()
            except TimeoutError:
                self._owed = True  # its turnComplete may still come: skip it then
                self._meter.add(self._billed or Usage())
                self._billed = None
                return rest
            for event in self._decode(frame):
                if isinstance(event, Text):
                    rest.append(event.text)
                elif event == Ack("interrupted"):
                    interrupted = True
                elif isinstance(event, Finished):
                    self._meter.add(self._billed or Usage())
                    return rest

    async def _restate(self, kept: str) -> None:
        await self._live.send(
            {"clientContent": {"turns": [turn("assistant", kept)], "turnComplete": False}}
        )
        self._last = kept

    async def _resume(self) -> None:
        if self._handle is None:
            raise SessionLost(
                f"{VENDOR.name}: the connection is ending and no resumption handle was received; "
                "reopen the session from the store."
            )
        try:
            await self._connect_wire(handle=self._handle, history=False)
        except ProviderError as exc:
            raise SessionLost(f"{VENDOR.name}: resuming the session failed ({exc}).") from exc
        self._going = False
        self.resumptions += 1


async def open_gemini_live(
    cfg: ProviderConfig, messages: Sequence[Message], *, connect: Connect | None = None
) -> GeminiLiveSession:
    """Open a Gemini Live session holding ``messages`` as history (no generation)."""
    system, history = split_system(messages)
    session = GeminiLiveSession(cfg, system, connect)
    try:
        await session.start(history)
    except BaseException:
        await session.close()
        raise
    return session
