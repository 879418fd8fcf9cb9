"""Gemini ``streamGenerateContent?alt=sse`` as the loopback fake speaks it.

Requests: key in ``x-goog-api-key`` or ``?key=`` (a wrong key is HTTP 400
``API_KEY_INVALID``, a missing one 403 ``PERMISSION_DENIED``, as the real
API answers); non-empty ``contents`` with roles user/model and ``parts``;
``systemInstruction``; ``generationConfig.stopSequences`` (at most 5).
Stream: data-only SSE frames separated by CRLF, no ``[DONE]``; every chunk
carries ``usageMetadata`` with the running candidate count, the last one
has ``finishReason: "STOP"`` and the full counts; the stream ends at EOF.
Errors: multi-line (indented) JSON ``{"error": {code, message, status}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fakes.http_common import BadRequest, Parsed, Plan, need, sse, text_of
from silcrow.testing import count_tokens

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
KEY_INVALID = "API key not valid. Please pass a valid API key."


class GeminiWire:
    vendor = "gemini"
    sse_newline = "\r\n"
    retry_in_body = True

    def check_headers(
        self, headers: Mapping[str, str], query: Mapping[str, str], key: str
    ) -> tuple[int, str] | None:
        given = headers.get("x-goog-api-key") or query.get("key")
        if not given:
            return (
                403,
                "Method doesn't allow unregistered callers. Please use API Key or other form of API consumer identity to call this API.",
            )
        return None if given == key else (400, KEY_INVALID)

    def parse(self, doc: Any, path_model: str, query: Mapping[str, str]) -> Parsed:
        if query.get("alt") != "sse":
            raise BadRequest("this server only serves alt=sse")
        contents = need(doc, "contents", list)
        if not contents:
            raise BadRequest("* GenerateContentRequest.contents: contents is not specified")
        system = doc.get("systemInstruction") or doc.get("system_instruction")
        parts = [f"<system>{text_of(system.get('parts', []))}"] if isinstance(system, dict) else []
        for i, c in enumerate(contents):
            role = c.get("role", "user") if isinstance(c, dict) else None
            if role not in ("user", "model"):
                raise BadRequest(
                    f"* GenerateContentRequest.contents[{i}].role: must be user or model"
                )
            parts.append(f"<{role}>{text_of(need(c, 'parts', list, f'contents[{i}].'))}")
        config = doc.get("generationConfig") or {}
        stop = config.get("stopSequences") or []
        if not isinstance(stop, list) or len(stop) > 5:
            raise BadRequest("* GenerateContentRequest.generation_config.stop_sequences: at most 5")
        cap = config.get("maxOutputTokens")
        return Parsed(path_model, "".join(parts), tuple(stop), True, max_output=cap)

    def error(self, status: int, message: str, retry_after: float | None = None) -> bytes:
        doc: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": _STATUS.get(status, "UNKNOWN"),
        }
        if message == KEY_INVALID:
            doc["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ]
        if retry_after is not None:  # as Gemini sends a quota error's wait
            doc["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after:g}s",
                }
            ]
        return json.dumps({"error": doc}, indent=2).encode() + b"\n"

    def _chunk(self, plan: Plan, text: str, output_tokens: int, finish: bool) -> bytes:
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        meta: dict[str, int] = {
            "promptTokenCount": plan.bill.input_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": plan.bill.input_tokens + output_tokens,
        }
        if finish:
            candidate["finishReason"] = "MAX_TOKENS" if plan.capped else "STOP"
            if plan.bill.cached_tokens:
                meta["cachedContentTokenCount"] = plan.bill.cached_tokens
        doc = {
            "candidates": [candidate],
            "usageMetadata": meta,
            "modelVersion": plan.parsed.model,
            "responseId": plan.response_id,
        }
        return sse(doc, newline=self.sse_newline)

    def head(self, plan: Plan) -> list[bytes]:
        return []

    def delta(self, plan: Plan, text: str, sent: str) -> bytes:
        return self._chunk(plan, text, count_tokens(sent), finish=False)

    def tail(self, plan: Plan, *, usage: bool) -> list[bytes]:
        return [self._chunk(plan, "", plan.bill.output_tokens, finish=True)]

    def stream_error(self, error_type: str, message: str) -> bytes:
        doc = {
            "error": {
                "code": 503,
                "message": message or "The model is overloaded.",
                "status": error_type or "UNAVAILABLE",
            }
        }
        return sse(doc, newline=self.sse_newline)


WIRE = GeminiWire()
