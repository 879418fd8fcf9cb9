"""The models a key can use: each vendor's models endpoint, and a model the vendor does not serve."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from fakes.http_server import FakeHTTPServer
from silcrow.providers.base import AuthError, Message, Provider, ProviderError, TextDelta
from silcrow.providers.models import ModelInfo, advice, list_models, model_missing, parse_models
from silcrow.providers.registry import resolve_config

Start = Callable[..., Awaitable[FakeHTTPServer]]
MakeProvider = Callable[..., Provider]
SERVED = ["model-a", "model-b", "model-c", "gemini-3.8-live"]


def config(server: FakeHTTPServer, vendor: str, **overrides: Any) -> Any:
    overrides.setdefault("api_key", "test-key")
    return resolve_config(vendor, base_url=server.base_url(vendor), env={}, **overrides)


@pytest.mark.parametrize("vendor", ["openai", "anthropic", "gemini"])
async def test_every_page_of_the_vendors_list_is_read(http_fake: Start, vendor: str) -> None:
    server = await http_fake(models=SERVED)
    models = await list_models(config(server, vendor, model="model-a"))
    assert [m.id for m in models] == SERVED
    pages = [r for r in server.requests if r.path.endswith("/models")]
    assert len(pages) == (1 if vendor == "openai" else 2)  # the fake pages Anthropic/Gemini by 2


async def test_gemini_says_which_models_serve_live_sessions(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    models = await list_models(config(server, "gemini", model="model-a"))
    assert [m.id for m in models if m.live] == ["gemini-3.8-live"]


@pytest.mark.parametrize(
    ("vendor", "window"), [("openai", None), ("anthropic", 200_000), ("gemini", 1_048_576)]
)
async def test_the_input_token_limit_is_read_where_the_vendor_lists_it(
    http_fake: Start, vendor: str, window: int | None
) -> None:
    server = await http_fake(models=SERVED)
    models = await list_models(config(server, vendor, model="model-a"))
    assert {m.context_window for m in models} == {window}


async def test_a_wrong_key_names_the_variable_to_fix(http_fake: Start) -> None:
    server = await http_fake(models=SERVED)
    cfg = resolve_config(
        "anthropic",
        base_url=server.base_url("anthropic"),
        env={"ANTHROPIC_API_KEY": "wrong"},
        model="model-a",
    )
    with pytest.raises(AuthError, match="ANTHROPIC_API_KEY"):
        await list_models(cfg)


@pytest.mark.parametrize("vendor", ["openai", "anthropic", "gemini"])
async def test_a_model_the_vendor_does_not_serve_lists_the_ones_it_does(
    http_fake: Start, http_fake_provider: MakeProvider, vendor: str
) -> None:
    server = await http_fake(["§respond: hi\n§end\n"], models=SERVED)
    provider = http_fake_provider(server, vendor, model="retired-model")
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream([Message("user", "hi")]):
            pass
    message = str(caught.value)
    assert "'retired-model' is not available" in message
    assert "model-a, model-b, model-c" in message
    assert "SILCROW_MODEL" in message and "--model" in message
    assert not caught.value.retryable


async def test_a_served_model_streams_as_before(
    http_fake: Start, http_fake_provider: MakeProvider
) -> None:
    server = await http_fake(["§respond: hi\n§end\n"], models=SERVED)
    provider = http_fake_provider(server, "anthropic", model="model-b")
    text = [
        i.text async for i in provider.stream([Message("user", "hi")]) if isinstance(i, TextDelta)
    ]
    assert "".join(text) == "§respond: hi\n§end\n"


def test_an_undocumented_list_is_an_error_that_quotes_it() -> None:
    cfg = resolve_config("openai", api_key="k", env={})
    with pytest.raises(ProviderError, match="not in the documented shape"):
        parse_models(cfg, b'{"models": []}')


@pytest.mark.parametrize(
    ("status", "body", "missing"),
    [
        (
            404,
            b'{"error": {"code": "model_not_found", "message": "The model x does not exist"}}',
            True,
        ),
        (400, b'{"error": {"message": "The model gpt-5-mini has been deprecated"}}', True),
        (404, b'{"error": {"message": "Not found: /v1/chat"}}', False),
        (429, b'{"error": {"message": "model overloaded, not found capacity"}}', False),
    ],
)
def test_model_missing_reads_the_vendors_wording(status: int, body: bytes, missing: bool) -> None:
    assert model_missing(status, body) is missing


def test_advice_counts_what_it_does_not_name() -> None:
    cfg = resolve_config("openai", api_key="k", model="gone", env={})
    text = advice(cfg, [ModelInfo(f"m{i}") for i in range(20)])
    assert "m11 and 8 more" in text and "m12" not in text
    assert "the key can use no models" in advice(cfg, [])
