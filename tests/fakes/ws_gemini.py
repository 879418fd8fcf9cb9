"""Fake Gemini Live API (``BidiGenerateContent`` over WebSocket).

Algorithm:
1. The key comes from ``x-goog-api-key`` or ``?key=``; a bad key closes
   with 1007. Frames may be text or binary, keys snake_case or camelCase.
2. The first frame must be ``setup``. Unknown model -> close 1008; TEXT on a
   model flagged audio-only (``MODELS``) -> close 1007; a resumption handle
   restores that session's history (unknown handle -> 1007). Answer
   ``setupComplete``.
3. ``clientContent``: a generation in progress is interrupted first
   (``interrupted`` then ``turnComplete``, no ``generationComplete``); the
   turns are appended to the history. With
   ``historyConfig.initialHistoryInClientContent``, content up to the first
   ``turnComplete: true`` is history only. Otherwise ``turnComplete: true``
   starts a generation: ``modelTurn`` text parts (TEXT) or audio parts plus
   ``outputTranscription`` (AUDIO), ``generationComplete``, a
   ``sessionResumptionUpdate``, then ``turnComplete`` with ``usageMetadata``
   (prompt = the whole context every turn; Live has no caching).
   ``realtimeInput`` with ``text`` is a user turn that starts a generation
   at once (it interrupts one in progress too). A model in
   ``server.gemini_history_only`` takes ``clientContent`` as initial history
   only and closes with 1007 on a later one (how
   ``gemini-3.1-flash-live-preview`` was reported to behave in March 2026;
   its current docs say it accepts both).
4. A new resumable handle follows every consumed client message while no
   generation runs. After ``faults.go_away_after_turns`` turns on a
   connection the server sends ``goAway`` and closes.
5. Session limits: without ``contextWindowCompression`` in ``setup`` a
   session (across resumptions) ends after ``faults.gemini_session_turns``
   turns, closed with 1011 (the audio-session limit of about 15 minutes,
   counted in turns), and its handles no longer resume it (1007); with
   compression it goes on.
6. ``faults.gemini_lose_turn_complete``: after an interruption the server
   sends ``interrupted`` and nothing more for that turn (no
   ``turnComplete``), as reported for some Live models.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from silcrow.providers.live.frames import camelize

if TYPE_CHECKING:
    from fakes.ws_server import FakeConn

PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
MODELS = {  # model id -> "audio" (AUDIO output only) or "text"
    "gemini-3.8-live": "audio",
    "gemini-3.1-flash-live-preview": "audio",
    "gemini-2.5-flash-native-audio-preview-12-2025": "audio",
    "fake-live-text": "text",
}
SILENCE = base64.b64encode(bytes(32)).decode()  # a few bytes standing in for PCM audio


@dataclass
class GeminiState:
    system: str
    modality: str
    transcribe: bool
    resumable: bool
    history_phase: bool
    model: str = ""
    compression: bool = False
    history: list[tuple[str, str]] = field(default_factory=list)
    turns: int = 0
    session_turns: int = 0  # turns of the session, across resumptions
    consumed: int = 0
    active: tuple[asyncio.Task[Any], asyncio.Event] | None = None

    def transcript(self) -> list[tuple[str, str]]:
        return list(self.history)


def _texts(content: dict[str, Any]) -> list[tuple[str, str]] | None:
    turns = content.get("turns") or []
    out = []
    for turn in turns if isinstance(turns, list) else [None]:
        if not isinstance(turn, dict) or turn.get("role", "user") not in ("user", "model"):
            return None
        out.append(
            (
                turn.get("role", "user"),
                "".join(str(p.get("text", "")) for p in turn.get("parts") or []),
            )
        )
    return out


async def serve(conn: FakeConn) -> None:
    frames = conn.client_frames()
    first = await anext(frames, None)
    key = conn.request.headers.get("x-goog-api-key") or conn.request.query.get("key")
    if not conn.server.key_ok(key):
        await conn.close(1007, "API key not valid. Please pass a valid API key.")
        return
    state = await _setup(conn, camelize(first or {}).get("setup"))
    if state is None:
        return
    async for frame in frames:
        frame = camelize(frame)
        realtime = frame.get("realtimeInput")
        if isinstance(realtime, dict) and isinstance(realtime.get("text"), str):
            content = {"turns": [{"role": "user", "parts": [{"text": realtime["text"]}]}]}
            content["turnComplete"] = True
        else:
            content = frame.get("clientContent")
            mid_session = not state.history_phase
            if mid_session and state.model in conn.server.gemini_history_only:
                await conn.close(1007, "Request contains an invalid argument.")
                return
        if not isinstance(content, dict):
            await conn.close(1007, "Request contains an invalid argument.")
            return
        if not await _client_content(conn, state, content):
            return


async def _setup(conn: FakeConn, setup: Any) -> GeminiState | None:
    if not isinstance(setup, dict):
        await conn.close(1007, "The first message must be 'setup'.")
        return None
    model = str(setup.get("model", "")).removeprefix("models/")
    modes = (setup.get("generationConfig") or {}).get("responseModalities") or ["AUDIO"]
    if model not in conn.server.gemini_models:
        await conn.close(
            1008,
            f"models/{model} is not found for API version v1beta, or is not supported for bidiGenerateContent.",
        )
        return None
    if len(modes) != 1 or (modes[0] == "TEXT" and conn.server.gemini_models[model] == "audio"):
        await conn.close(1007, "Request contains an invalid argument.")
        return None
    resumption = setup.get("sessionResumption")
    state = GeminiState(
        system="".join(
            p.get("text", "") for p in (setup.get("systemInstruction") or {}).get("parts") or []
        ),
        modality=modes[0],
        transcribe="outputAudioTranscription" in setup,
        resumable=isinstance(resumption, dict),
        history_phase=bool((setup.get("historyConfig") or {}).get("initialHistoryInClientContent")),
        model=model,
        compression=isinstance(setup.get("contextWindowCompression"), dict),
    )
    handle = (resumption or {}).get("handle")
    if handle:
        if handle not in conn.server.handles:
            await conn.close(1007, "Invalid session resumption handle.")
            return None
        history, state.session_turns = conn.server.handles[handle]
        limit = conn.server.faults.gemini_session_turns
        if not state.compression and limit is not None and state.session_turns >= limit:
            await conn.close(1007, "Session has reached its time limit and cannot be resumed.")
            return None
        state.history, state.history_phase = list(history), False
    conn.state = state
    await conn.send({"setupComplete": {}})
    await _new_handle(conn, state)
    return state


async def _new_handle(conn: FakeConn, state: GeminiState) -> None:
    if not state.resumable:
        return
    handle = f"handle-{uuid.uuid4().hex[:16]}"
    conn.server.handles[handle] = (list(state.history), state.session_turns)
    update = {
        "newHandle": handle,
        "resumable": True,
        "lastConsumedClientMessageIndex": str(state.consumed),
    }
    await conn.send({"sessionResumptionUpdate": update})


async def _client_content(conn: FakeConn, state: GeminiState, content: dict[str, Any]) -> bool:
    """Apply one clientContent; False when the connection was closed."""
    if state.active is not None:
        task, stopped = state.active
        stopped.set()
        await task
    turns = _texts(content)
    if turns is None:
        await conn.close(1007, "Request contains an invalid argument.")
        return False
    state.history += turns
    state.consumed += 1
    if not content.get("turnComplete") or state.history_phase:
        state.history_phase = state.history_phase and not content.get("turnComplete")
        await _new_handle(conn, state)
        return True
    stopped = asyncio.Event()
    state.active = (conn.spawn(_generate(conn, state, stopped)), stopped)
    return True


async def _generate(conn: FakeConn, state: GeminiState, stopped: asyncio.Event) -> None:
    seen = conn.render([("system", state.system), *state.history])

    async def emit(chunk: str) -> None:
        if state.modality == "TEXT":
            await conn.send({"serverContent": {"modelTurn": {"parts": [{"text": chunk}]}}})
            return
        audio = {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": SILENCE}}
        await conn.send({"serverContent": {"modelTurn": {"parts": [audio]}}})
        if state.transcribe:
            await conn.send({"serverContent": {"outputTranscription": {"text": chunk}}})

    text, completed = await conn.stream(emit, stopped)
    state.history.append(("model", text))
    bill = conn.bill(seen, text, cache=False)
    usage = {
        "promptTokenCount": bill.input_tokens,
        "responseTokenCount": bill.output_tokens,
        "totalTokenCount": bill.input_tokens + bill.output_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": bill.input_tokens}],
        "responseTokensDetails": [{"modality": state.modality, "tokenCount": bill.output_tokens}],
    }
    await conn.send(
        {"serverContent": {"generationComplete": True} if completed else {"interrupted": True}}
    )
    state.active = None
    state.turns += 1
    state.session_turns += 1
    await _new_handle(conn, state)
    if completed or not conn.server.faults.gemini_lose_turn_complete:
        await conn.send({"serverContent": {"turnComplete": True}, "usageMetadata": usage})
    session_limit = conn.server.faults.gemini_session_turns
    if session_limit is not None and not state.compression and state.session_turns >= session_limit:
        await conn.close(1011, "Session duration limit reached; enable contextWindowCompression.")
        return
    limit = conn.server.faults.go_away_after_turns
    if limit is not None and state.turns >= limit:
        conn.server.go_aways += 1
        await conn.send({"goAway": {"timeLeft": "0s"}})
        await conn.close(1000, "connection time limit reached")
