"""Every request body the replay adapters build validates against the SDKs' types.

Strict (``sdk_types``): an unknown key anywhere fails. Histories are
generated (roles, empty and unicode texts, stop lists, every config variant
that changes the body), and the validators themselves are shown to reject
a misspelt key, so a pass means something.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.sdk_types import anthropic_messages_body, gemini_body, openai_chat_body
from silcrow.providers.anthropic import messages_request
from silcrow.providers.base import Image, Message
from silcrow.providers.config import ProviderConfig
from silcrow.providers.gemini import gemini_request
from silcrow.providers.http import HttpRequest
from silcrow.providers.openai_chat import chat_request, takes_stop

# Any history of any roles (empty texts too), ending with the user's question.
messages = st.lists(
    st.builds(Message, st.sampled_from(["system", "user", "assistant"]), st.text(max_size=12)),
    max_size=8,
).map(lambda ms: [*ms, Message("user", "and now?")])
stops = st.lists(st.sampled_from(["§execute", "§end", "\n\n"]), max_size=3, unique=True)


def cfg(name: str, model: str, **extra: Any) -> ProviderConfig:
    return ProviderConfig(name=name, model=model, base_url="http://x/v1", api_key="k", extra=extra)


CHAT_CONFIGS = [
    cfg("openai", "gpt-4.1-mini"),
    cfg("openai", "gpt-5.4-mini", prompt_cache_key="conv-1"),
    cfg("openai-compatible", "local-model"),
]


def body(request: HttpRequest) -> Any:
    return json.loads(request.body)


@settings(max_examples=40, deadline=None)
@given(ms=messages, stop=stops, which=st.sampled_from(range(len(CHAT_CONFIGS))))
def test_chat_completions_bodies_are_sdk_params(
    ms: list[Message], stop: list[str], which: int
) -> None:
    c = CHAT_CONFIGS[which]
    openai_chat_body(body(chat_request(c, ms, stop, send_stop=takes_stop(c))))


@settings(max_examples=40, deadline=None)
@given(ms=messages, stop=stops)
def test_anthropic_bodies_are_sdk_params(ms: list[Message], stop: list[str]) -> None:
    anthropic_messages_body(body(messages_request(cfg("anthropic", "claude-sonnet-4-6"), ms, stop)))


@settings(max_examples=40, deadline=None)
@given(ms=messages, stop=stops)
def test_gemini_bodies_are_sdk_models(ms: list[Message], stop: list[str]) -> None:
    gemini_body(body(gemini_request(cfg("gemini", "gemini-3-flash"), ms, stop)))


@pytest.mark.parametrize(
    ("validate", "doc"),
    [
        (
            openai_chat_body,
            {
                "model": "m",
                "stream": True,
                "messages": [{"role": "user", "content": "x", "nme": "a"}],
            },
        ),
        (openai_chat_body, {"model": "m", "stream": True, "messages": [], "stream_option": {}}),
        (
            anthropic_messages_body,
            {
                "model": "m",
                "max_tokens": 1,
                "stream": True,
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "x", "cache": {}}]}
                ],
            },
        ),
        (
            anthropic_messages_body,
            {"model": "m", "max_tokens": 1, "stream": True, "messages": [], "stop": ["x"]},
        ),
        (gemini_body, {"contents": [{"role": "user", "parts": [{"txt": "x"}]}]}),
        (gemini_body, {"contents": [], "generationConfig": {"stop_sequence": ["x"]}}),
        (gemini_body, {"contents": [], "stream": True}),
    ],
)
def test_the_validators_reject_an_unknown_key(validate: Any, doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # pydantic.ValidationError is a ValueError
        validate(doc)


IMAGE = Image("image/png", "iVBORw0KGgo=")
WITH_IMAGES = [
    Message("system", "sys"),
    Message("user", "what is this?", (IMAGE,)),
    Message("assistant", "§respond: a logo\n§end"),
    Message("user", "and this one?", (Image("image/jpeg", "/9j/4AAQ"),)),
]


def test_images_are_sdk_content_parts_for_every_replay_adapter() -> None:
    chat = body(chat_request(CHAT_CONFIGS[0], WITH_IMAGES, [], send_stop=False))
    openai_chat_body(chat)
    assert chat["messages"][1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
    }
    claude = body(messages_request(cfg("anthropic", "claude-sonnet-4-6"), WITH_IMAGES, []))
    anthropic_messages_body(claude)
    assert claude["messages"][0]["content"][-1]["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": "iVBORw0KGgo=",
    }
    gemini = body(gemini_request(cfg("gemini", "gemini-3-flash"), WITH_IMAGES, []))
    gemini_body(gemini)
    assert gemini["contents"][2]["parts"][-1] == {
        "inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}
    }
