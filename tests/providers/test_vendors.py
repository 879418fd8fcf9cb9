"""One vendor table: the registry, the daemon's settings and the CLI name the same providers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from silcrow.cli import parser
from silcrow.lsp.settings import parse_settings
from silcrow.providers.base import TextDelta, Usage
from silcrow.providers.errors import ConfigError
from silcrow.providers.registry import make_provider, resolve_config
from silcrow.providers.vendors import CHOICES, VENDORS, keyed_vendor
from silcrow.testing import FakeProvider

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "silcrow"


def test_every_choice_resolves_and_every_named_row_is_a_choice() -> None:
    env = {var: "k" for vendor in VENDORS.values() for var in vendor.key_envs}
    for name in CHOICES:
        assert resolve_config(name, env={**env, "SILCROW_PROVIDER": "ollama"}).name in VENDORS
    assert {v.name for v in VENDORS.values() if v.base_url or not v.network} <= set(CHOICES)


# Retired or scheduled to shut down, from the vendors' deprecation pages (checked 2026-12-03).
RETIRED = {
    "claude-sonnet-4-5": "retired 2026-11-30",
    "claude-sonnet-4-5-20250929": "retired 2026-11-30",
    "gpt-5-mini": "shuts down 2026-12-11",
    "gpt-5-mini-2025-08-07": "shuts down 2026-12-11",
    "gemini-2.5-flash": "shut down 2026-12-01",
    "gpt-realtime": "retires 2027-01-20",
    "gemini-3.1-flash-live-preview": "a preview, retired at short notice",
}


def test_no_default_model_is_retired_or_on_a_shutdown_list() -> None:
    defaults = [v.model for v in VENDORS.values()]
    defaults += [m for v in VENDORS.values() for m in v.live_models.values()]
    assert [(m, RETIRED[m]) for m in defaults if m in RETIRED] == []


def test_the_keyed_vendor_is_what_auto_picks() -> None:
    assert keyed_vendor({}) is None
    for env, name in [
        ({"GOOGLE_API_KEY": "g"}, "gemini"),
        ({"GEMINI_API_KEY": "g", "ANTHROPIC_API_KEY": "a"}, "anthropic"),
    ]:
        assert keyed_vendor(env) == name == resolve_config("auto", env=env).name


def test_settings_accept_exactly_the_table_and_urls() -> None:
    for name in CHOICES:
        settings, issues = parse_settings({"provider": name})
        assert (settings.provider, issues) == (name, [])
    settings, issues = parse_settings({"provider": "openai-compatible"})
    assert settings.provider == "auto" and issues and "http(s)://" in issues[0].fix
    assert parse_settings({"provider": "http://localhost:1234/v1"})[1] == []


def test_the_cli_help_lists_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["chat", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"--provider PROVIDER {', '.join(CHOICES)} or an http(s):// URL" in help_text


async def test_the_fake_row_plays_the_script_it_is_given() -> None:
    provider = make_provider(
        "fake", extra={"fake_script": {"replies": ["§respond: hi\n§end\n"], "chunk": 3}}
    )
    assert isinstance(provider, FakeProvider)
    items = [item async for item in provider.stream([], stop=())]
    deltas = [i.text for i in items if isinstance(i, TextDelta)]
    assert deltas[:2] == ["§re", "spo"] and "".join(deltas) == "§respond: hi\n§end\n"
    assert isinstance(items[-1], Usage)


@pytest.mark.parametrize(
    "script", ["replies", {"replies": "not a list"}, {"replies": [], "chunk": "4"}]
)
def test_a_malformed_fake_script_is_a_config_error(script: object) -> None:
    with pytest.raises(ConfigError, match="fake_script"):
        make_provider("fake", extra={"fake_script": script})


def test_the_package_imports_no_test_code() -> None:
    """The loopback vendor servers live in tests/fakes; nothing under silcrow may import them."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("fakes", "tests")
            ]
    assert offenders == []
    assert not (PACKAGE / "providers" / "fakes").exists()
