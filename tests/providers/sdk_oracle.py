"""What each vendor's own SDK makes of a recorded response: the test oracle.

``sdk_view(recording)`` serves the recorded status, headers and body to the
official SDK (openai, anthropic, google-genai; test-only dependencies)
through an in-memory transport and reports what the SDK decoded: the
answer text (reasoning and thought parts excluded, as the SDKs do), the
vendor's stop value, the usage normalised to ``silcrow.providers.base.Usage``
the way the adapters document it, and the exception class and status when
the SDK raised. No network: the transport answers every request with the
recording.

Oracle rules, per SDK:
* OpenAI: text is every ``choices[0].delta.content`` of the chunks the SDK
  yields; a list-of-parts ``content`` (Mistral, which the SDK passes through
  untyped) contributes its ``text`` parts. The stop is the last
  ``finish_reason``; usage is the last chunk's ``usage``.
* Anthropic: ``messages.stream(...).get_final_message()``: text blocks only,
  ``stop_reason``, ``usage`` (cache counts are disjoint from input).
* Gemini: ``models.generate_content_stream``: ``chunk.text`` (skips thought
  parts), the last ``finish_reason`` and the last ``usage_metadata``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from providers.recorded import Recording
from silcrow.providers.base import Usage

BASE = "http://recorded.invalid"
PROMPT = "What is the capital of France?"


@dataclass(frozen=True, slots=True)
class SdkView:
    text: str = ""
    stop: str | None = None  # the vendor's own value
    usage: Usage | None = None
    error: str | None = None  # SDK exception class name
    status: int | None = None  # HTTP status of an error response
    message: str = ""  # the vendor's own error message, as the SDK parsed it


def _message(body: object) -> str:
    """The vendor's message from an SDK error body (``{"message"}`` or ``{"error": {...}}``)."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _client(rec: Recording) -> httpx2.Client:
    headers = {"content-type": rec.headers.get("content-type", "application/json")}

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(rec.status, headers=headers, content=rec.body)

    return httpx2.Client(transport=httpx2.MockTransport(answer))


def _openai(rec: Recording) -> SdkView:
    client = openai.OpenAI(
        api_key="k", base_url=f"{BASE}/v1", http_client=_client(rec), max_retries=0
    )
    text, stop, usage = "", None, None
    try:
        chunks = client.chat.completions.create(
            model=rec.model, messages=[{"role": "user", "content": PROMPT}], stream=True
        )
        for chunk in chunks:
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                text += _openai_text(choice.delta.content)
                stop = choice.finish_reason or stop
            if chunk.usage is not None:
                details = chunk.usage.prompt_tokens_details
                usage = Usage(
                    input_tokens=chunk.usage.prompt_tokens,
                    cached_tokens=(details and details.cached_tokens) or 0,
                    cache_write_tokens=(details and details.cache_write_tokens) or 0,
                    output_tokens=chunk.usage.completion_tokens,
                )
    except openai.APIStatusError as err:
        return SdkView(text, stop, usage, type(err).__name__, err.status_code, _message(err.body))
    except openai.APIError as err:
        return SdkView(text, stop, usage, type(err).__name__, None, _message(err.body))
    return SdkView(text, stop, usage)


def _openai_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Mistral: the SDK passes the parts through untyped
        return "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def _anthropic(rec: Recording) -> SdkView:
    client = anthropic.Anthropic(
        api_key="k", base_url=BASE, http_client=_client(rec), max_retries=0
    )
    streamed = ""
    try:
        with client.messages.stream(
            model=rec.model, max_tokens=1024, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            for piece in stream.text_stream:
                streamed += piece
            message = stream.get_final_message()
    except anthropic.APIStatusError as err:
        return SdkView(
            streamed, None, None, type(err).__name__, err.status_code, _message(err.body)
        )
    except anthropic.APIError as err:
        return SdkView(streamed, None, None, type(err).__name__, None, _message(err.body))
    text = "".join(block.text for block in message.content if block.type == "text")
    assert text == streamed, "the SDK's text events and its final message disagree"
    u = message.usage
    read, write = u.cache_read_input_tokens or 0, u.cache_creation_input_tokens or 0
    usage = Usage(
        input_tokens=u.input_tokens + read + write,
        cached_tokens=read,
        cache_write_tokens=write,
        output_tokens=u.output_tokens,
    )
    return SdkView(text, message.stop_reason, usage)


def _gemini(rec: Recording) -> SdkView:
    options = genai_types.HttpOptions(base_url=f"{BASE}/", httpx_client=_client(rec))
    client = genai.Client(api_key="k", http_options=options)
    text, stop, meta = "", None, None
    try:
        with warnings.catch_warnings():  # ".text" warns about non-text parts
            warnings.simplefilter("ignore")
            for chunk in client.models.generate_content_stream(model=rec.model, contents=PROMPT):
                text += chunk.text or ""
                if chunk.candidates and chunk.candidates[0].finish_reason:
                    stop = chunk.candidates[0].finish_reason.value
                meta = chunk.usage_metadata or meta
    except genai_errors.APIError as err:
        return SdkView(text, stop, None, type(err).__name__, err.code, err.message or "")
    if meta is None:
        return SdkView(text, stop)
    usage = Usage(
        input_tokens=(meta.prompt_token_count or 0) + (meta.tool_use_prompt_token_count or 0),
        cached_tokens=meta.cached_content_token_count or 0,
        output_tokens=(meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0),
    )
    return SdkView(text, stop, usage)


_SEEN: dict[tuple[str, bytes], SdkView] = {}


def sdk_view(rec: Recording) -> SdkView:
    """The SDK's reading of ``rec`` (computed once per recording)."""
    key = (rec.name, rec.body)
    if key not in _SEEN:
        match rec.family:
            case "openai":
                _SEEN[key] = _openai(rec)
            case "anthropic":
                _SEEN[key] = _anthropic(rec)
            case "gemini":
                _SEEN[key] = _gemini(rec)
    return _SEEN[key]
