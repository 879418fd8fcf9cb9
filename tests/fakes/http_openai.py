"""OpenAI Chat Completions as the loopback fake speaks it.

Requests: ``Authorization: Bearer``; ``model``, non-empty ``messages``,
``stream: true`` (this fake only streams), ``stop`` of at most 4 strings.
Stream: a role chunk, one chunk per text piece (``usage: null`` and an
``obfuscation`` pad, as the real API), a ``finish_reason: "stop"`` chunk,
the ``choices: []`` usage chunk when ``stream_options.include_usage``, then
``data: [DONE]``. Errors: ``{"error": {message, type, param, code}}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from fakes.http_common import BadRequest, Parsed, Plan, need, sse, text_of

ROLES = {"system", "developer", "user", "assistant", "tool"}
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class OpenAIWire:
    vendor = "openai"
    sse_newline = "\n"
    retry_in_body = False

    def check_headers(
        self, headers: Mapping[str, str], query: Mapping[str, str], key: str
    ) -> tuple[int, str] | None:
        auth = headers.get("authorization", "")
        if auth == f"Bearer {key}":
            return None
        if not auth:
            return (
                401,
                "You didn't provide an API key. Provide it in an Authorization header (Bearer).",
            )
        return 401, f"Incorrect API key provided: {auth.removeprefix('Bearer ')[:6]}***."

    def parse(self, doc: Any, path_model: str, query: Mapping[str, str]) -> Parsed:
        model = need(doc, "model", str)
        messages = need(doc, "messages", list)
        if not messages:
            raise BadRequest("messages: must contain at least one message")
        if doc.get("stream") is not True:
            raise BadRequest("stream: this server only serves stream: true")
        stop = doc.get("stop") or []
        stop = [stop] if isinstance(stop, str) else stop
        if not isinstance(stop, list) or len(stop) > 4:
            raise BadRequest("stop: at most 4 sequences")
        parts = []
        for i, m in enumerate(messages):
            role = need(m, "role", str, f"messages[{i}].")
            if role not in ROLES:
                raise BadRequest(f"messages[{i}].role: unknown role {role!r}")
            parts.append(f"<{role}>{text_of(m.get('content', ''))}")
        options = doc.get("stream_options") or {}
        cap = doc.get("max_completion_tokens") or doc.get("max_tokens")
        usage = bool(options.get("include_usage"))
        return Parsed(model, "".join(parts), tuple(stop), usage, max_output=cap)

    def error(self, status: int, message: str, retry_after: float | None = None) -> bytes:
        kind, code = _ERROR_TYPES.get(status, ("server_error", None))
        return json.dumps(
            {"error": {"message": message, "type": kind, "param": None, "code": code}}
        ).encode()

    def _chunk(self, plan: Plan, choices: list[Any], **more: Any) -> bytes:
        doc = {
            "id": plan.response_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": plan.parsed.model,
            "system_fingerprint": "fp_fake",
            "choices": choices,
            **more,
        }
        if plan.parsed.include_usage and "usage" not in doc:
            doc["usage"] = None
        return sse(doc)

    def _choice(self, delta: dict[str, Any], finish: str | None = None) -> list[Any]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    def head(self, plan: Plan) -> list[bytes]:
        return [
            self._chunk(plan, self._choice({"role": "assistant", "content": "", "refusal": None}))
        ]

    def delta(self, plan: Plan, text: str, sent: str) -> bytes:
        return self._chunk(plan, self._choice({"content": text}), obfuscation="x" * (len(sent) % 7))

    def tail(self, plan: Plan, *, usage: bool) -> list[bytes]:
        frames = [self._chunk(plan, self._choice({}, "length" if plan.capped else "stop"))]
        if usage and plan.parsed.include_usage:
            bill = plan.bill
            frames.append(
                self._chunk(
                    plan,
                    [],
                    usage={
                        "prompt_tokens": bill.input_tokens,
                        "completion_tokens": bill.output_tokens,
                        "total_tokens": bill.input_tokens + bill.output_tokens,
                        "prompt_tokens_details": {
                            "cached_tokens": bill.cached_tokens,
                            "audio_tokens": 0,
                        },
                        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
                    },
                )
            )
        frames.append(sse("[DONE]"))
        return frames

    def stream_error(self, error_type: str, message: str) -> bytes:
        return sse(
            {
                "error": {
                    "message": message,
                    "type": error_type or "server_error",
                    "param": None,
                    "code": None,
                }
            }
        )


WIRE = OpenAIWire()
