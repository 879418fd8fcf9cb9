"""Strict validators for request bodies, built from the vendors' SDK types.

``openai_chat_body`` and ``anthropic_messages_body`` validate against the
SDKs' own request ``TypedDict``s (``CompletionCreateParamsStreaming``,
``MessageCreateParamsStreaming``) with pydantic, closed: every ``TypedDict``
reachable from the root gets ``extra="forbid"``, lazily validated
iterables are walked to the end, and a value that only validates as one of
the SDK's *response* models with unknown keys (their models allow extras)
is rejected too. ``gemini_body`` checks the top-level keys against the REST
``GenerateContentRequest`` fields and validates ``contents`` /
``systemInstruction`` / ``generationConfig`` with google-genai's models,
which forbid unknown keys themselves.

The live transports' WebSocket client frames are validated the same way:
``realtime_client_event`` against the openai SDK's ``RealtimeClientEventParam``
and ``responses_client_event`` against its ``ResponsesClientEventParam``
(Responses WebSocket mode), both closed and discriminated by ``type``;
``gemini_live_message`` against google-genai's ``LiveClientMessage`` with
camelCase aliases only (the wire spelling) and exactly one member of its
oneof set.
Each raises ``pydantic.ValidationError`` or ``ValueError`` naming the path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, get_args, get_type_hints

from anthropic.types.message_create_params import MessageCreateParamsStreaming
from google.genai import types as genai_types
from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming
from openai.types.realtime.realtime_client_event_param import RealtimeClientEventParam
from openai.types.responses.responses_client_event_param import ResponsesClientEventParam
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import is_typeddict

Validator = Callable[[Any], Any]

# REST GenerateContentRequest body fields (ai.google.dev/api/generate-content).
GEMINI_FIELDS = {
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
}


def _close(tp: Any, seen: set[int]) -> None:
    if id(tp) in seen:
        return
    seen.add(id(tp))
    if is_typeddict(tp):
        tp.__pydantic_config__ = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
        for hint in get_type_hints(tp, include_extras=True).values():
            _close(hint, seen)
        return
    for arg in get_args(tp):
        _close(arg, seen)


def _walk(value: Any, path: str = "$") -> Any:
    """Force lazy validation; refuse response models carrying unknown keys."""
    if isinstance(value, BaseModel):
        if value.model_extra:
            raise ValueError(
                f"{path}: unknown keys {sorted(value.model_extra)} ({type(value).__name__})"
            )
        return {k: _walk(getattr(value, k), f"{path}.{k}") for k in type(value).model_fields}
    if isinstance(value, dict):
        return {k: _walk(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple | Iterator):
        return [_walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def closed(tp: Any) -> Validator:
    _close(tp, set())
    adapter = TypeAdapter(tp)
    return lambda doc: _walk(adapter.validate_python(doc))


openai_chat_body = closed(CompletionCreateParamsStreaming)
anthropic_messages_body = closed(MessageCreateParamsStreaming)
realtime_client_event = closed(Annotated[RealtimeClientEventParam, Field(discriminator="type")])
responses_client_event = closed(Annotated[ResponsesClientEventParam, Field(discriminator="type")])


def gemini_body(doc: dict[str, Any]) -> None:
    unknown = set(doc) - GEMINI_FIELDS
    if unknown:
        raise ValueError(f"unknown GenerateContentRequest fields {sorted(unknown)}")
    for i, content in enumerate(doc.get("contents") or ()):
        genai_types.Content.model_validate(content)
        if content.get("role") not in ("user", "model"):
            raise ValueError(f"contents[{i}].role must be user or model")
    if "systemInstruction" in doc:
        genai_types.Content.model_validate(doc["systemInstruction"])
    if "generationConfig" in doc:
        genai_types.GenerationConfig.model_validate(doc["generationConfig"])


def gemini_live_message(frame: dict[str, Any]) -> None:
    """One Gemini Live client frame: a ``LiveClientMessage`` spelt as on the wire."""
    members = [k for k, v in frame.items() if v is not None]
    if len(members) != 1:
        raise ValueError(f"a LiveClientMessage sets exactly one member, not {sorted(members)}")
    genai_types.LiveClientMessage.model_validate(frame, by_alias=True, by_name=False)
