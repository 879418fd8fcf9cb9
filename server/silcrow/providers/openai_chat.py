"""OpenAI Chat Completions streaming, for OpenAI and OpenAI-compatible servers.

Algorithm:
1. ``chat_request`` serialises the messages as ``POST {base}/chat/completions``
   with ``stream: true``, ``stream_options.include_usage`` and ``stop`` (when
   the model takes it), as deterministic JSON. A key is sent as a Bearer
   token only when one is configured (local servers need none).
2. ``decode_chat_chunk`` is pure: one ``data:`` payload -> text deltas from
   ``choices[0].delta.content`` (a string, or Mistral's list of parts whose
   ``text`` parts are joined and whose ``thinking`` parts are dropped), a
   ``Stop`` from ``finish_reason`` and a ``Usage`` from the final
   ``choices: []`` chunk (``prompt_tokens`` already includes
   ``cached_tokens``). Reasoning fields (``reasoning_content``,
   ``reasoning``) are never text. Unknown fields (``obfuscation``,
   ``timings``) are ignored; ``[DONE]`` ends it.
3. ``ChatDecoder`` adds the end-of-stream check (EOF before ``[DONE]`` and
   before any ``finish_reason`` means the stream was cut) and turns a
   ``delta.refusal`` into a ``refusal`` stop whose detail is the refusal.
4. Resume (``open``) is delegated by lazy import to the live transport chosen
   by ``cfg.live_transport`` ("responses" or "realtime"); OpenAI-compatible
   servers have none.
OpenAI's reasoning models reject ``stop``: the o-series (``o1``, ``o3-pro``,
``o4-mini``, ...), the gpt-5 family (``gpt-5``, ``gpt-5.4-mini``,
``gpt-5-codex``, ...) and ``codex-mini``, also as a fine-tune
(``ft:gpt-5-mini:...``). For them, on OpenAI itself, the capability is off
and the consumer cuts the reply at the delimiter itself; OpenAI-compatible
servers always get ``stop`` (they take it or ignore it).
Override with ``extra={"stop_sequences": True|False}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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
from silcrow.providers.errors import error_from_payload, host_label
from silcrow.providers.http import HttpRequest, HttpStreamingProvider, json_body, parse_frame
from silcrow.providers.sse import ServerSentEvent

MAX_STOP = 4
_NO_STOP = re.compile(r"^(?:ft:)?(?:o\d+(?:$|[-.])|gpt-5|codex-)", re.IGNORECASE)


def takes_stop(cfg: ProviderConfig) -> bool:
    """Whether the model accepts ``stop`` (OpenAI's reasoning models do not)."""
    forced = cfg.extra.get("stop_sequences")
    if isinstance(forced, bool):
        return forced
    return cfg.name != "openai" or _NO_STOP.match(cfg.model) is None


def chat_content(message: Message) -> str | list[dict[str, Any]]:
    """A message's ``content``: its text, or text and ``image_url`` parts (data URLs)."""
    if not message.images:
        return message.content
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
    parts += [{"type": "image_url", "image_url": {"url": i.data_url}} for i in message.images]
    return parts


def chat_request(
    cfg: ProviderConfig, messages: Sequence[Message], stop: Sequence[str], *, send_stop: bool
) -> HttpRequest:
    body: dict[str, Any] = {
        "model": cfg.model,
        "messages": [{"role": m.role, "content": chat_content(m)} for m in messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if send_stop and stop:
        if len(stop) > MAX_STOP:
            raise ProviderError(
                f"Chat Completions takes at most {MAX_STOP} stop sequences; got {len(stop)}"
            )
        body["stop"] = list(stop)
    # api.openai.com deprecated max_tokens; local servers know only max_tokens.
    body["max_completion_tokens" if cfg.name == "openai" else "max_tokens"] = cfg.max_output_tokens
    if cfg.extra.get("prompt_cache_key"):
        body["prompt_cache_key"] = str(cfg.extra["prompt_cache_key"])
    headers = {"content-type": "application/json", "accept": "text/event-stream"}
    if cfg.api_key:
        headers["authorization"] = f"Bearer {cfg.api_key}"
    return HttpRequest(f"{cfg.base_url}/chat/completions", headers, json_body(body))


def chat_usage(usage: dict[str, Any]) -> Usage:
    details = usage.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=int(usage.get("prompt_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        cache_write_tokens=int(details.get("cache_write_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
    )


FINISH_REASONS = {
    "stop": StopReason.END,
    "length": StopReason.LENGTH,
    "tool_calls": StopReason.TOOL,
    "function_call": StopReason.TOOL,
    "content_filter": StopReason.SAFETY,
    # OpenAI-compatible servers
    "eos": StopReason.END,  # llama.cpp, some vLLM builds
    "model_length": StopReason.LENGTH,  # Mistral: the context window is full
    "error": StopReason.ERROR,  # Mistral, vLLM
}


def chat_stop(finish_reason: str, refusal: str = "") -> Stop:
    """Map ``finish_reason``; a reply that streamed a refusal is a refusal."""
    if refusal and finish_reason == "stop":
        return Stop(StopReason.REFUSAL, finish_reason, refusal)
    return Stop(FINISH_REASONS.get(finish_reason, StopReason.END), finish_reason)


def delta_text(content: Any) -> str:
    """``delta.content`` as text: a string, or the ``text`` parts of a list.

    Mistral's reasoning models send a list of parts; ``thinking`` parts are
    reasoning, never answer text.
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        str(part.get("text") or "")
        for part in content
        if isinstance(part, dict) and part.get("type") == "text"
    )


@dataclass(slots=True)
class ChatChunk:
    """What one chunk carried for choice 0 (plus usage, which has no choice)."""

    items: list[StreamItem] = field(default_factory=list)
    finish_reason: str | None = None
    refusal: str = ""


def read_chat_chunk(data: str, *, vendor: str = "OpenAI") -> ChatChunk:
    """One ``data:`` payload (not ``[DONE]``) -> text, usage, finish_reason, refusal."""
    chunk = parse_frame(vendor, data)
    if not isinstance(chunk, dict):
        raise ProviderError(
            f"{vendor} sent a stream frame that is not a JSON object: {data[:200]!r}"
        )
    if chunk.get("error"):
        raise error_from_payload(vendor, chunk["error"])
    out = ChatChunk()
    for choice in chunk.get("choices") or ():
        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
            continue
        delta = choice.get("delta") or {}
        text = delta_text(delta.get("content"))
        if text:
            out.items.append(TextDelta(text=text))
        out.refusal += str(delta.get("refusal") or "")
        out.finish_reason = choice.get("finish_reason") or out.finish_reason
    if isinstance(chunk.get("usage"), dict):
        out.items.append(chat_usage(chunk["usage"]))
    return out


def decode_chat_chunk(data: str, *, vendor: str = "OpenAI") -> list[StreamItem]:
    return read_chat_chunk(data, vendor=vendor).items


class ChatDecoder:
    def __init__(self, vendor: str = "OpenAI") -> None:
        self.vendor = vendor
        self.done = False
        self.finished = False  # a finish_reason was seen
        self._refusal = ""

    def feed(self, event: ServerSentEvent) -> list[StreamItem]:
        data = event.data.strip()
        if not data:
            return []
        if data == "[DONE]":
            self.done = True
            return []
        chunk = read_chat_chunk(data, vendor=self.vendor)
        self._refusal += chunk.refusal
        if chunk.finish_reason is None:
            return chunk.items
        self.finished = True
        return [*chunk.items, chat_stop(chunk.finish_reason, self._refusal)]

    def finish(self) -> None:
        if not (self.done or self.finished):
            raise ProviderError(
                f"{self.vendor} stream ended before [DONE]; the connection was cut", retryable=True
            )


def chat_label(cfg: ProviderConfig) -> str:
    """ "OpenAI"; a URL-configured server by its host:port; Ollama by name and host:port."""
    if cfg.name == "openai":
        return "OpenAI"
    if cfg.name == "ollama":
        return f"Ollama at {host_label(cfg.base_url)}"
    return host_label(cfg.base_url)


class OpenAIChatProvider(HttpStreamingProvider):
    def __init__(
        self, cfg: ProviderConfig, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        super().__init__(cfg, http_client=http_client)
        self.label = chat_label(cfg)
        live = cfg.name == "openai" and cfg.live_transport in ("responses", "realtime")
        self.capabilities = Capabilities(resume=live, stop_sequences=takes_stop(cfg), images=True)

    def build_request(self, messages: Sequence[Message], stop: Sequence[str]) -> HttpRequest:
        return chat_request(self.cfg, messages, stop, send_stop=self.capabilities.stop_sequences)

    def new_decoder(self) -> ChatDecoder:
        return ChatDecoder(self.label)

    async def open(self, messages: Sequence[Message]) -> LiveSession:
        if not self.capabilities.resume:
            raise ProviderError(f"{self.label} has no live session; use mode replay")
        if self.cfg.live_transport == "realtime":
            from silcrow.providers.realtime import open_realtime

            return await open_realtime(self.cfg, messages)
        from silcrow.providers.responses_ws import open_responses_ws

        return await open_responses_ws(self.cfg, messages)
