"""Gemini ``streamGenerateContent`` over SSE (replay; Gemini Live is opt-in).

Algorithm:
1. ``gemini_request`` posts to ``{base}/models/{model}:streamGenerateContent
   ?alt=sse`` with ``contents`` (roles user/model; same-role neighbours merged
   into one content of several parts), ``systemInstruction`` from the leading
   system messages and ``generationConfig.stopSequences``. Deterministic JSON.
2. ``decode_gemini_chunk`` is pure: one ``data:`` payload (a
   GenerateContentResponse) -> text deltas from ``candidates[0].content.parts``
   (thought parts skipped) and a ``Usage`` snapshot from ``usageMetadata``
   (the last one wins; ``cachedContentTokenCount`` is inside
   ``promptTokenCount``; thinking tokens are billed as output).
3. There is no ``[DONE]``: the stream ends at EOF; a stream that ends with
   no ``finishReason`` was cut. ``finishReason`` becomes one ``Stop``
   (``FINISH_REASONS``); a blocked prompt (``promptFeedback.blockReason``,
   no candidates) is a ``safety`` stop. Errors before the stream are an
   HTTP status with unframed JSON (mapped by the shared driver); an
   ``error`` object inside the stream raises too.
4. ``open`` delegates to the Gemini Live module only when
   ``cfg.live_transport == "gemini-live"`` (off by default: Live serves no
   text-output model and bills every turn in full).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from silcrow.providers.base import (
    Capabilities,
    LiveSession,
    Message,
    ProviderError,
    Stop,
    StopReason,
    StreamItem,
    TextDelta,
    Usage,
)
from silcrow.providers.config import ProviderConfig
from silcrow.providers.errors import error_from_payload
from silcrow.providers.http import (
    HttpRequest,
    HttpStreamingProvider,
    Turn,
    alternating_turns,
    json_body,
    parse_frame,
)
from silcrow.providers.sse import ServerSentEvent

MAX_STOP = 5


_SAFETY = (
    "SAFETY RECITATION LANGUAGE BLOCKLIST PROHIBITED_CONTENT SPII IMAGE_SAFETY "
    "IMAGE_PROHIBITED_CONTENT IMAGE_RECITATION ESCALATION PUP_LIMITED_DISABLED MODEL_ARMOR"
)
_ERROR = "OTHER MALFORMED_FUNCTION_CALL UNEXPECTED_TOOL_CALL MISSING_THOUGHT_SIGNATURE "
_ERROR += "MALFORMED_RESPONSE IMAGE_OTHER NO_IMAGE"
FINISH_REASONS: dict[str, StopReason] = {
    "STOP": StopReason.END,
    "FINISH_REASON_UNSPECIFIED": StopReason.END,
    "MAX_TOKENS": StopReason.LENGTH,
    "CONTINUATION": StopReason.LENGTH,
    "TOO_MANY_TOOL_CALLS": StopReason.TOOL,
    **dict.fromkeys(_SAFETY.split(), StopReason.SAFETY),
    **dict.fromkeys(_ERROR.split(), StopReason.ERROR),
}


def gemini_stop(finish_reason: str) -> Stop:
    return Stop(FINISH_REASONS.get(finish_reason.upper(), StopReason.END), finish_reason)


def _parts(texts: Sequence[str]) -> list[dict[str, Any]]:
    return [{"text": t} for t in texts]


def _inline(turn: Turn) -> list[dict[str, Any]]:
    return [{"inlineData": {"mimeType": i.mime_type, "data": i.data}} for i in turn.images]


def gemini_request(
    cfg: ProviderConfig, messages: Sequence[Message], stop: Sequence[str]
) -> HttpRequest:
    system, turns = alternating_turns(messages)
    if not turns:
        raise ProviderError("Gemini needs at least one non-empty user or assistant message")
    if len(stop) > MAX_STOP:
        raise ProviderError(f"Gemini takes at most {MAX_STOP} stop sequences; got {len(stop)}")
    config: dict[str, Any] = {"maxOutputTokens": cfg.max_output_tokens}
    if stop:
        config["stopSequences"] = list(stop)
    body: dict[str, Any] = {
        "contents": [
            {
                "role": "model" if t.role == "assistant" else "user",
                "parts": _parts(t.texts) + _inline(t),
            }
            for t in turns
        ],
        "generationConfig": config,
    }
    if system:
        body["systemInstruction"] = {"parts": _parts(system)}
    model = cfg.model.removeprefix("models/")
    headers = {"content-type": "application/json", "accept": "text/event-stream"}
    if cfg.api_key:
        headers["x-goog-api-key"] = cfg.api_key
    url = f"{cfg.base_url}/models/{model}:streamGenerateContent?alt=sse"
    return HttpRequest(url, headers, json_body(body))


def gemini_usage(meta: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=int(meta.get("promptTokenCount") or 0)
        + int(meta.get("toolUsePromptTokenCount") or 0),
        cached_tokens=int(meta.get("cachedContentTokenCount") or 0),
        output_tokens=int(meta.get("candidatesTokenCount") or 0)
        + int(meta.get("thoughtsTokenCount") or 0),
    )


def read_gemini_chunk(data: str) -> tuple[list[StreamItem], str | None]:
    """One ``data:`` payload -> (stream items, finishReason if present)."""
    chunk = parse_frame("Gemini", data)
    if isinstance(chunk, list) and len(chunk) == 1:
        chunk = chunk[0]
    if not isinstance(chunk, dict):
        raise ProviderError(f"Gemini sent a stream frame that is not a JSON object: {data[:200]!r}")
    if chunk.get("error"):
        raise error_from_payload("Gemini", chunk["error"])
    items: list[StreamItem] = []
    if isinstance(chunk.get("usageMetadata"), dict):
        items.append(gemini_usage(chunk["usageMetadata"]))
    blocked = (chunk.get("promptFeedback") or {}).get("blockReason")
    if blocked and not chunk.get("candidates"):
        detail = f"Gemini blocked the prompt ({blocked})"
        return [*items, Stop(StopReason.SAFETY, str(blocked), detail)], str(blocked)
    candidates = chunk.get("candidates") or [{}]
    first = candidates[0] if isinstance(candidates[0], dict) else {}
    for part in (first.get("content") or {}).get("parts") or ():
        if isinstance(part, dict) and part.get("text") and not part.get("thought"):
            items.append(TextDelta(text=part["text"]))
    return items, first.get("finishReason")


def decode_gemini_chunk(data: str) -> list[StreamItem]:
    return read_gemini_chunk(data)[0]


class GeminiDecoder:
    done = False  # no terminal event: the stream ends at EOF

    def __init__(self) -> None:
        self.finish_reason: str | None = None

    def feed(self, event: ServerSentEvent) -> list[StreamItem]:
        if not event.data.strip():
            return []
        items, reason = read_gemini_chunk(event.data)
        if reason is None:
            return items
        self.finish_reason = reason
        if any(isinstance(item, Stop) for item in items):  # a blocked prompt
            return items
        return [*items, gemini_stop(reason)]

    def finish(self) -> None:
        if self.finish_reason is None:
            raise ProviderError(
                "Gemini stream ended without a finishReason; the connection was cut", retryable=True
            )


class GeminiProvider(HttpStreamingProvider):
    label = "Gemini"

    def __init__(
        self, cfg: ProviderConfig, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(cfg, http_client=http_client)
        live = cfg.live_transport == "gemini-live"
        self.capabilities = Capabilities(resume=live, stop_sequences=True, images=True)

    def build_request(self, messages: Sequence[Message], stop: Sequence[str]) -> HttpRequest:
        return gemini_request(self.cfg, messages, stop)

    def new_decoder(self) -> GeminiDecoder:
        return GeminiDecoder()

    async def open(self, messages: Sequence[Message]) -> LiveSession:
        if not self.capabilities.resume:
            raise ProviderError(
                "Gemini has no live session unless live_transport='gemini-live'; use mode replay"
            )
        from silcrow.providers.gemini_live import open_gemini_live

        return await open_gemini_live(self.cfg, messages)
