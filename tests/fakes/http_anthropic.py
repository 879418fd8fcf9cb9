"""Anthropic Messages as the loopback fake speaks it.

Requests: ``x-api-key`` and ``anthropic-version`` headers; ``model``,
``max_tokens``, non-empty ``messages`` with roles user/assistant only (a
system role is rejected, as the real API does), at most 4 ``cache_control``
breakpoints, no empty text blocks, ``stream: true``.
Stream: ``message_start`` (usage: input split into uncached / cache read /
cache creation, disjoint, output 1), ``content_block_start``, ``ping``, one
``content_block_delta`` per piece, ``content_block_stop``, ``message_delta``
(``stop_reason`` ``stop_sequence`` or ``end_turn``, cumulative usage),
``message_stop``. Caching is modelled only when the request marks a
breakpoint: the shared prefix is read, the rest of the context written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fakes.http_common import BadRequest, Parsed, Plan, need, sse, text_of

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _count_breakpoints(blocks: Any) -> int:
    if not isinstance(blocks, list):
        return 0
    return sum(1 for b in blocks if isinstance(b, dict) and b.get("cache_control"))


def _check_blocks(blocks: Any, where: str) -> None:
    if isinstance(blocks, list):
        for j, b in enumerate(blocks):
            if isinstance(b, dict) and b.get("type") == "text" and not b.get("text"):
                raise BadRequest(f"{where}.content.{j}.text: text content blocks must be non-empty")


class AnthropicWire:
    vendor = "anthropic"
    sse_newline = "\n"
    retry_in_body = False

    def check_headers(
        self, headers: Mapping[str, str], query: Mapping[str, str], key: str
    ) -> tuple[int, str] | None:
        if headers.get("x-api-key") != key:
            return 401, "invalid x-api-key"
        if not headers.get("anthropic-version"):
            return 400, "anthropic-version: header is required"
        return None

    def parse(self, doc: Any, path_model: str, query: Mapping[str, str]) -> Parsed:
        model = need(doc, "model", str)
        need(doc, "max_tokens", int)
        messages = need(doc, "messages", list)
        if not messages:
            raise BadRequest("messages: at least one message is required")
        if doc.get("stream") is not True:
            raise BadRequest("stream: this server only serves stream: true")
        system = doc.get("system", "")
        parts = [f"<system>{text_of(system)}"] if system else []
        # The top-level cache_control marks the last cacheable block: one more breakpoint.
        breakpoints = _count_breakpoints(system) + (1 if doc.get("cache_control") else 0)
        for i, m in enumerate(messages):
            role = need(m, "role", str, f"messages.{i}.")
            if role not in ("user", "assistant"):
                raise BadRequest(f'messages.{i}.role: Input should be "user" or "assistant"')
            content = m.get("content", "")
            _check_blocks(content, f"messages.{i}")
            breakpoints += _count_breakpoints(content)
            parts.append(f"<{role}>{text_of(content)}")
        if breakpoints > 4:
            raise BadRequest(
                f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
            )
        stop = doc.get("stop_sequences") or []
        if not isinstance(stop, list) or not all(isinstance(s, str) and s.strip() for s in stop):
            raise BadRequest("stop_sequences: each stop sequence must contain non-whitespace")
        marked = breakpoints > 0
        return Parsed(model, "".join(parts), tuple(stop), True, marked, doc["max_tokens"])

    def error(self, status: int, message: str, retry_after: float | None = None) -> bytes:
        kind = _ERROR_TYPES.get(status, "api_error")
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()

    def _usage(self, plan: Plan, output: int) -> dict[str, int]:
        bill = plan.bill
        read = bill.cached_tokens if plan.parsed.cache_marked else 0
        write = bill.input_tokens - read if plan.parsed.cache_marked else 0
        return {
            "input_tokens": bill.input_tokens - read - write,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "output_tokens": output,
        }

    def head(self, plan: Plan) -> list[bytes]:
        message: dict[str, Any] = {
            "id": plan.response_id,
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": plan.parsed.model,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": self._usage(plan, 1),
        }
        return [
            sse({"type": "message_start", "message": message}, event="message_start"),
            sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                event="content_block_start",
            ),
            sse({"type": "ping"}, event="ping"),
        ]

    def delta(self, plan: Plan, text: str, sent: str) -> bytes:
        return sse(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": text},
            },
            event="content_block_delta",
        )

    def tail(self, plan: Plan, *, usage: bool) -> list[bytes]:
        reason = "stop_sequence" if plan.stop_hit is not None else "end_turn"
        reason = "max_tokens" if plan.capped else reason
        delta: dict[str, Any] = {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": plan.stop_hit},
        }
        if usage:
            delta["usage"] = self._usage(plan, plan.bill.output_tokens)
        return [
            sse({"type": "content_block_stop", "index": 0}, event="content_block_stop"),
            sse(delta, event="message_delta"),
            sse({"type": "message_stop"}, event="message_stop"),
        ]

    def stream_error(self, error_type: str, message: str) -> bytes:
        kind = error_type or "overloaded_error"
        return sse(
            {"type": "error", "error": {"type": kind, "message": message or "Overloaded"}},
            event="error",
        )


WIRE = AnthropicWire()
