"""The registry: names, URLs and "auto" to checked configs and lazily built adapters."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from silcrow.providers.anthropic import AnthropicProvider
from silcrow.providers.base import AuthError, Provider, ProviderError
from silcrow.providers.errors import ConfigError
from silcrow.providers.gemini import GeminiProvider
from silcrow.providers.openai_chat import OpenAIChatProvider
from silcrow.providers.registry import make_provider, resolve_config

VENDOR_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "SILCROW_PROVIDER",
    "SILCROW_MODEL",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GEMINI_BASE_URL",
    "OLLAMA_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VENDOR_VARS:
        monkeypatch.delenv(var, raising=False)


def test_named_vendors_take_their_key_variable_and_defaults() -> None:
    env = {"ANTHROPIC_API_KEY": "a", "GOOGLE_API_KEY": "g"}
    anthropic = resolve_config("anthropic", env=env)
    assert (anthropic.api_key, anthropic.api_key_env) == ("a", "ANTHROPIC_API_KEY")
    assert (
        anthropic.base_url == "https://api.anthropic.com/v1" and anthropic.live_transport == "none"
    )
    gemini = resolve_config("gemini", env=env)
    assert (gemini.api_key_env, gemini.live_transport) == ("GOOGLE_API_KEY", "none")
    gemini_first = resolve_config("gemini", env={**env, "GEMINI_API_KEY": "G"})
    assert gemini_first.api_key_env == "GEMINI_API_KEY"
    openai = resolve_config("openai", env={"OPENAI_API_KEY": "o"})
    assert openai.live_transport == "responses" and openai.model


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(AuthError, match="set OPENAI_API_KEY"):
        resolve_config("openai", env={})
    with pytest.raises(AuthError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        resolve_config("gemini", env={})
    with pytest.raises(AuthError, match="MY_KEY \\(the apiKeyEnv setting\\) is not set"):
        resolve_config("openai", api_key_env="MY_KEY", env={"OPENAI_API_KEY": "o"})


def test_api_key_env_and_base_url_env_override() -> None:
    env = {"MY_KEY": "m", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1/"}
    config = resolve_config("openai", api_key_env="MY_KEY", env=env)
    assert (config.api_key, config.api_key_env) == ("m", "MY_KEY")
    assert config.base_url == "http://127.0.0.1:9/v1"
    assert (
        resolve_config("openai", base_url="http://h/v1", api_key_env="MY_KEY", env=env).base_url
        == "http://h/v1"
    )


def test_auto_picks_silcrow_provider_then_first_key_set() -> None:
    assert (
        resolve_config("auto", env={"GEMINI_API_KEY": "g", "ANTHROPIC_API_KEY": "a"}).name
        == "anthropic"
    )
    env = {"SILCROW_PROVIDER": "ollama", "SILCROW_MODEL": "llama-x", "OPENAI_API_KEY": "o"}
    ollama = resolve_config("auto", env=env)
    assert (ollama.name, ollama.model, ollama.api_key) == ("ollama", "llama-x", None)
    assert ollama.base_url == "http://localhost:11434/v1"
    with pytest.raises(AuthError, match="no provider configured: set one of OPENAI_API_KEY"):
        resolve_config("auto", env={})


def test_url_means_openai_compatible_without_a_key_unless_named() -> None:
    config = resolve_config("http://127.0.0.1:1234/v1", model="qwen", env={"OPENAI_API_KEY": "o"})
    assert (config.name, config.base_url, config.api_key) == (
        "openai-compatible",
        "http://127.0.0.1:1234/v1",
        None,
    )
    keyed = resolve_config("http://h/v1", model="m", api_key_env="LM_KEY", env={"LM_KEY": "l"})
    assert keyed.api_key == "l"
    with pytest.raises(ConfigError, match="set the model setting"):
        resolve_config("http://h/v1", env={})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"llm": "mistral"}, "unknown provider 'mistral'"),
        ({"llm": "anthropic", "live_transport": "realtime"}, "choose one of none"),
        (
            {"llm": "openai", "live_transport": "gemini-live"},
            "choose one of responses, realtime, none",
        ),
        ({"llm": "openai", "temperature": 0.2}, "unknown provider setting"),
        ({"llm": "openai", "timeout": 0}, "timeout must be a positive number"),
        ({"llm": "openai", "max_retries": -1}, "max_retries must be a non-negative integer"),
        ({"llm": "openai", "base_url": "api.openai.com"}, "must be an http"),
    ],
)
def test_bad_settings_say_what_to_fix(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        resolve_config(**kwargs, env={"OPENAI_API_KEY": "o", "ANTHROPIC_API_KEY": "a"})


def test_overrides_reach_the_config() -> None:
    config = resolve_config(
        "openai",
        env={"OPENAI_API_KEY": "o"},
        timeout=5.0,
        max_retries=1,
        extra={"retry_base_delay": 0.01},
        live_transport="realtime",
    )
    assert (config.timeout, config.max_retries, config.live_transport) == (5.0, 1, "realtime")
    assert config.extra == {"retry_base_delay": 0.01}


async def test_make_provider_builds_each_adapter_with_capabilities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(var, "k")
    client = httpx.AsyncClient()
    built = {
        name: make_provider(name, http_client=client)
        for name in ("openai", "anthropic", "gemini", "ollama")
    }
    assert isinstance(built["openai"], OpenAIChatProvider) and built["openai"].capabilities.resume
    assert not built["openai"].capabilities.stop_sequences  # the default is a reasoning model
    assert (
        isinstance(built["anthropic"], AnthropicProvider)
        and not built["anthropic"].capabilities.resume
    )
    assert isinstance(built["gemini"], GeminiProvider) and not built["gemini"].capabilities.resume
    assert built["ollama"].capabilities.stop_sequences and not built["ollama"].capabilities.resume
    assert make_provider("gemini", live_transport="gemini-live").capabilities.resume
    for provider in built.values():
        assert isinstance(provider, Provider)
        await provider.aclose()
    assert not client.is_closed  # a client passed in belongs to the caller
    await client.aclose()


async def test_open_without_a_live_transport_says_use_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    for provider in (
        make_provider("anthropic"),
        make_provider("ollama"),
        make_provider("openai", api_key="k", live_transport="none"),
    ):
        with pytest.raises(ProviderError, match="no live session; use mode replay"):
            await provider.open([])
        await provider.aclose()


def test_live_transports_with_their_own_models_default_to_one() -> None:
    env = {"OPENAI_API_KEY": "k", "GEMINI_API_KEY": "k"}
    assert resolve_config("openai", live_transport="realtime", env=env).live_model == "gpt-realtime"
    assert resolve_config("openai", env=env).live_model is None  # Responses WS serves `model`
    gemini = resolve_config("gemini", live_transport="gemini-live", env=env)
    assert gemini.live_model == "gemini-3.1-flash-live-preview"
    mine = resolve_config(
        "openai", live_transport="realtime", live_model="gpt-realtime-mini", env=env
    )
    assert mine.live_model == "gpt-realtime-mini"


def test_a_provider_object_passes_through() -> None:
    provider = make_provider("ollama")
    assert make_provider(provider) is provider


def test_importing_the_registry_does_not_import_httpx() -> None:
    code = (
        "import sys, silcrow.providers.registry; "
        "print(sorted(m for m in sys.modules if m.startswith(('httpx', 'silcrow.providers.openai'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
