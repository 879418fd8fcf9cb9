"""The vendor table: every provider name Silcrow knows, read by all who list them.

The registry resolves names against ``VENDORS``; the daemon's settings
(``lsp/settings.PROVIDERS``) and the CLI's ``--provider`` help list
``CHOICES``. Adding a vendor is one row here plus its adapter module.

Algorithm:
1. Each ``Vendor`` row holds a name, the label errors use, the default
   model and base URL (with the variable overriding it), the API key
   variables (first set wins), the live transports it serves (with the
   model of each transport that serves only its own family) and its
   adapter ("module:callable", imported only when a provider is made).
   Every default model is one the vendor lists as current and not on its
   deprecation page; the comment beside it names the source and the date
   it was checked. Change them here and in ``docs/providers.md``.
2. ``CHOICES`` is what a user may name: "auto", then every row that is
   chosen by name ("openai-compatible" is chosen by giving an http(s) URL).
3. ``keyed_vendor(env)`` is what "auto" falls back to: the first of
   ``AUTO_ORDER`` whose key variable is set (front-ends that need to know
   whether a real provider is configured ask it, rather than keeping their
   own list of variables).
4. ``FAKE`` is the one vendor with no network: the scripted provider of
   ``silcrow.providers.scripted``, configured by ``extra["fake_script"]``; the
   registry skips URL and key checks for it (``Vendor.network`` is False).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from silcrow.providers.config import LiveTransport

AUTO = "auto"
FAKE = "fake"
BY_URL = "openai-compatible"


@dataclass(frozen=True, slots=True)
class Vendor:
    name: str
    label: str  # for messages: "OpenAI"
    model: str  # default model
    base_url: str
    base_env: str | None  # env variable overriding base_url
    key_envs: tuple[str, ...]  # first one set wins; () = no key needed
    live_transport: LiveTransport
    live_choices: tuple[LiveTransport, ...]
    adapter: str  # "module:callable(cfg, *, http_client)", imported lazily
    network: bool = True  # False: no URL, no key (the scripted fake)
    # Live transports that serve only their own model family (Responses WS
    # serves the ordinary text models, so ``model`` applies there).
    live_models: Mapping[str, str] = field(default_factory=dict)


_CHAT = "silcrow.providers.openai_chat:OpenAIChatProvider"

VENDORS: dict[str, Vendor] = {
    v.name: v
    for v in (
        Vendor(
            "openai",
            "OpenAI",
            # gpt-5.4-mini: GA 2026-03-17, on no shutdown list (OpenAI "Models" and
            # "Deprecations" pages, checked 2026-12-03; gpt-5-mini shuts down 2026-12-11).
            "gpt-5.4-mini",
            "https://api.openai.com/v1",
            "OPENAI_BASE_URL",
            ("OPENAI_API_KEY",),
            "responses",
            ("responses", "realtime", "none"),
            _CHAT,
            # gpt-realtime-2: GA May 2026, 128k context (OpenAI "Realtime" models page,
            # checked 2026-12-03; gpt-realtime retires 2027-01-20).
            live_models={"realtime": "gpt-realtime-2"},
        ),
        Vendor(
            "anthropic",
            "Anthropic",
            # claude-sonnet-5: released 2026-06-30, "Active" (Anthropic "Models overview"
            # and "Model deprecations", checked 2026-12-03; claude-sonnet-4-5 retired 2026-11-30).
            "claude-sonnet-5",
            "https://api.anthropic.com/v1",
            "ANTHROPIC_BASE_URL",
            ("ANTHROPIC_API_KEY",),
            "none",
            ("none",),
            "silcrow.providers.anthropic:AnthropicProvider",
        ),
        Vendor(
            "gemini",
            "Gemini",
            # gemini-3.5-flash: stable (GA) since June 2026, Google's named replacement for
            # gemini-2.5-flash, which shut down 2026-12-01 (Gemini API "Models" and
            # "Deprecations" pages, checked 2026-12-03).
            "gemini-3.5-flash",
            "https://generativelanguage.googleapis.com/v1beta",
            "GEMINI_BASE_URL",
            ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            "none",
            ("gemini-live", "none"),
            "silcrow.providers.gemini:GeminiProvider",
            # gemini-3.8-live: the stable Live model (Sep 2026; audio output, text through
            # transcription), not a preview that may go with two weeks' notice (Gemini API
            # "Models" page, checked 2026-12-03).
            live_models={"gemini-live": "gemini-3.8-live"},
        ),
        Vendor(
            "ollama",
            "Ollama",
            "qwen3-coder",
            "http://localhost:11434/v1",
            "OLLAMA_BASE_URL",
            (),
            "none",
            ("none",),
            _CHAT,
        ),
        Vendor(BY_URL, "OpenAI-compatible server", "", "", None, (), "none", ("none",), _CHAT),
        Vendor(
            FAKE,
            "Scripted fake",
            "fake",
            "",
            None,
            (),
            "none",
            ("none",),
            "silcrow.providers.scripted:scripted",
            network=False,
        ),
    )
}

CHOICES: tuple[str, ...] = (AUTO, FAKE, *(name for name in VENDORS if name not in (FAKE, BY_URL)))

AUTO_ORDER = ("openai", "anthropic", "gemini")  # "auto" takes the first whose key is set


def scripted(name: str) -> bool:
    """Whether ``name`` is the scripted fake: no network, replies from ``fakeScript``."""
    vendor = VENDORS.get(name)
    return vendor is not None and not vendor.network


def keyed_vendor(env: Mapping[str, str]) -> str | None:
    """The first vendor of ``AUTO_ORDER`` whose API key variable is set in ``env``, or None."""
    for name in AUTO_ORDER:
        if any(env.get(var) for var in VENDORS[name].key_envs):
            return name
    return None


def choices_text() -> str:
    """``"auto, fake, openai, ... or an http(s):// URL"`` for help and error messages."""
    return f"{', '.join(CHOICES)} or an http(s):// URL"
