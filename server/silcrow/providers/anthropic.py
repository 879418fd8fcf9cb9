"""Anthropic Messages streaming (replay only).

Algorithm:
1. ``messages_request`` puts the leading system messages in the top-level
   ``system`` blocks (never a system role in ``messages``), merges same-role
   neighbours into one message of several text blocks, and marks two prompt
   cache breakpoints (``cache_control: ephemeral``): the last system block,
   and the top-level ``cache_control`` that marks the last cacheable block
   for us, so the next cycle's request reads everything before it from the
   cache while its bytes still extend the previous request's (a breakpoint
   written into the newest block would move each cycle). Deterministic JSON.
2. ``AnthropicDecoder.feed`` takes one named SSE event: ``content_block_delta``
   text deltas become ``TextDelta``; ``message_start`` and ``message_delta``
   usage is cumulative, so fields are overwritten (never summed) and a
   normalised ``Usage`` snapshot is emitted; ``ping`` and unknown events are
   ignored; ``event: error`` raises the mapped error (``overloaded_error`` ->
   ``Overloaded``); ``message_stop`` ends the stream. The ``stop_reason``
   of ``message_delta`` becomes one ``Stop`` (``STOP_REASONS``). Thinking
   blocks (``thinking_delta``, ``signature_delta``) are never text.
3. Usage is normalised to the provider seam: ``input_tokens`` = input +
   cache creation + cache read, ``cached_tokens`` = cache read,
   ``cache_write_tokens`` = cache creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from silcrow.providers.base import (
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

API_VERSION = "2026-10-21"  # what anthropic-sdk-python 2.16 sends
_EPHEMERAL = {"type": "ephemeral"}
_USAGE_FIELDS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)


STOP_REASONS = {
    "end_turn": StopReason.END,
    "stop_sequence": StopReason.END,
    "max_tokens": StopReason.LENGTH,
    "model_context_window_exceeded": StopReason.LENGTH,
    "tool_use": StopReason.TOOL,
    "pause_turn": StopReason.TOOL,  # a server-tool loop paused; we send no server tools
    "refusal": StopReason.REFUSAL,
}


def anthropic_stop(stop_reason: str) -> Stop:
    return Stop(STOP_REASONS.get(stop_reason, StopReason.END), stop_reason)


def _blocks(texts: Sequence[str], *, cache_last: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": t} for t in texts]
    if cache_last and blocks:
        blocks[-1]["cache_control"] = dict(_EPHEMERAL)
    return blocks


def _images(turn: Turn) -> list[dict[str, Any]]:
    return [
        {"type": "image", "source": {"type": "base64", "media_type": i.mime_type, "data": i.data}}
        for i in turn.images
    ]


def messages_request(
    cfg: ProviderConfig, messages: Sequence[Message], stop: Sequence[str]
) -> HttpRequest:
    system, turns = alternating_turns(messages)
    if not turns:
        raise ProviderError("Anthropic needs at least one non-empty user or assistant message")
    body: dict[str, Any] = {
        "model": cfg.model,
        "max_tokens": cfg.max_output_tokens,
        "stream": True,
        "cache_control": dict(_EPHEMERAL),
        "messages": [
            {"role": turn.role, "content": _blocks(turn.texts, cache_last=False) + _images(turn)}
            for turn in turns
        ],
    }
    if system:
        body["system"] = _blocks(system, cache_last=True)
    if stop:
        body["stop_sequences"] = list(stop)
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream",
        "anthropic-version": API_VERSION,
    }
    if cfg.api_key:
        headers["x-api-key"] = cfg.api_key
    return HttpRequest(f"{cfg.base_url}/messages", headers, json_body(body))


def normalise_usage(fields: dict[str, int]) -> Usage:
    read = fields.get("cache_read_input_tokens", 0)
    write = fields.get("cache_creation_input_tokens", 0)
    return Usage(
        input_tokens=fields.get("input_tokens", 0) + read + write,
        cached_tokens=read,
        cache_write_tokens=write,
        output_tokens=fields.get("output_tokens", 0),
    )


class AnthropicDecoder:
    vendor = "Anthropic"

    def __init__(self, key_env: str | None = None) -> None:
        self.done = False
        self.stop_reason: str | None = None
        self._usage: dict[str, int] = {}
        self._key_env = key_env

    def feed(self, event: ServerSentEvent) -> list[StreamItem]:
        if event.event == "ping" or not event.data.strip():
            return []
        payload = parse_frame(self.vendor, event.data)
        if not isinstance(payload, dict):
            raise ProviderError(
                f"Anthropic sent a stream frame that is not a JSON object: {event.data[:200]!r}"
            )
        kind = str(payload.get("type") or event.event)  # the JSON type repeats the event name
        if kind == "error":
            raise error_from_payload(self.vendor, payload.get("error"), key_env=self._key_env)
        if kind == "content_block_delta":
            delta = payload.get("delta") or {}
            text = delta.get("text") if delta.get("type") == "text_delta" else None
            return [TextDelta(text=text)] if text else []
        if kind == "message_start":
            return self._take_usage((payload.get("message") or {}).get("usage"))
        if kind == "message_delta":
            reason = (payload.get("delta") or {}).get("stop_reason")
            usage = self._take_usage(payload.get("usage"))
            if not reason:
                return usage
            self.stop_reason = str(reason)
            return [*usage, anthropic_stop(self.stop_reason)]
        if kind == "message_stop":
            self.done = True
        return []

    def _take_usage(self, usage: Any) -> list[StreamItem]:
        """Counts are cumulative: a later value replaces an earlier one."""
        if not isinstance(usage, dict):
            return []
        for name in _USAGE_FIELDS:
            if isinstance(usage.get(name), int):
                self._usage[name] = usage[name]
        return [normalise_usage(self._usage)]

    def finish(self) -> None:
        if not self.done and self.stop_reason is None:
            raise ProviderError(
                "Anthropic stream ended before message_stop; the connection was cut", retryable=True
            )


class AnthropicProvider(HttpStreamingProvider):
    label = "Anthropic"

    def build_request(self, messages: Sequence[Message], stop: Sequence[str]) -> HttpRequest:
        return messages_request(self.cfg, messages, stop)

    def new_decoder(self) -> AnthropicDecoder:
        return AnthropicDecoder(self.cfg.api_key_env)
