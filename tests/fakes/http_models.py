"""The vendors' models endpoints and "model not found" errors, as the loopback fake serves them.

Shapes as each vendor documents them:
- OpenAI ``GET /v1/models``: ``{"object": "list", "data": [{"id", "object":
  "model", "created", "owned_by"}]}``, one page. An unknown model in a chat
  request: 404, code ``model_not_found``, "The model `x` does not exist or
  you do not have access to it."
- Anthropic ``GET /v1/models?limit=&after_id=``: ``{"data": [{"type":
  "model", "id", "display_name", "created_at"}], "has_more", "first_id",
  "last_id"}``, paged by ``after_id``. Unknown model: 404
  ``not_found_error`` "model: x".
- Gemini ``GET /v1beta/models?pageSize=&pageToken=``: ``{"models": [{"name":
  "models/<id>", "baseModelId", "version", "displayName",
  "inputTokenLimit", "outputTokenLimit", "supportedGenerationMethods"}],
  "nextPageToken"}``. Unknown model: 404 ``NOT_FOUND`` "models/x is not
  found for API version v1beta, or is not supported for generateContent.
  Call ListModels to see the list of available models and their supported
  methods."
A model whose id ends in ``-live`` (or holds ``live-preview``) lists
``bidiGenerateContent`` as its Gemini method; the others
``generateContent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CREATED = 1_780_000_000  # a fixed time, so listings are byte-stable


def not_found(vendor: str, model: str) -> tuple[int, str]:
    """(status, message) the vendor answers for a model it does not serve."""
    if vendor == "anthropic":
        return 404, f"model: {model}"
    if vendor == "gemini":
        return 404, (
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent. Call ListModels to see the list of available models and their "
            "supported methods."
        )
    return 404, f"The model `{model}` does not exist or you do not have access to it."


def _live(model: str) -> bool:
    return model.endswith("-live") or "live-preview" in model


def page(
    vendor: str, models: Sequence[str], query: Mapping[str, str], page_size: int = 2
) -> dict[str, Any]:
    """One page of the list; Anthropic and Gemini page ``page_size`` models at a time."""
    if vendor == "anthropic":
        after = query.get("after_id")
        start = models.index(after) + 1 if after in models else 0
        rows = models[start : start + min(page_size, int(query.get("limit", 20)))]
        return {
            "data": [
                {
                    "type": "model",
                    "id": m,
                    "display_name": m.replace("-", " ").title(),
                    "created_at": "2026-06-30T00:00:00Z",
                    "max_input_tokens": 200_000,
                }
                for m in rows
            ],
            "has_more": start + len(rows) < len(models),
            "first_id": rows[0] if rows else None,
            "last_id": rows[-1] if rows else None,
        }
    if vendor == "gemini":
        start = int(query.get("pageToken") or 0)
        rows = models[start : start + min(page_size, int(query.get("pageSize", 50)))]
        doc: dict[str, Any] = {
            "models": [
                {
                    "name": f"models/{m}",
                    "baseModelId": m,
                    "version": "001",
                    "displayName": m.replace("-", " ").title(),
                    "inputTokenLimit": 1_048_576,
                    "outputTokenLimit": 65_536,
                    "supportedGenerationMethods": (
                        ["bidiGenerateContent"] if _live(m) else ["generateContent", "countTokens"]
                    ),
                }
                for m in rows
            ]
        }
        if start + len(rows) < len(models):
            doc["nextPageToken"] = str(start + len(rows))
        return doc
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": CREATED, "owned_by": "system"} for m in models
        ],
    }
