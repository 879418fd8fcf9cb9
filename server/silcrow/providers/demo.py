"""Which provider a front-end runs, and the OFFLINE DEMO when none is configured.

Every front-end (the LSP daemon, ``silcrow chat``, ``silcrow acp``) calls
``choose_provider`` once per agent it builds; none keeps its own rules.

Algorithm:
1. ``choose_provider(requested, script=, env=, root=, client=)``:
   - ``SILCROW_PROVIDER=fake`` in the environment wins over any setting (the
     test switch: scripted daemons whatever the editor's settings say);
   - the scripted fake (``"fake"``) with a script plays that script (tests);
     without one it is the demo;
   - any other name or URL is used as it is;
   - ``"auto"`` (or nothing) resolves like the registry (``SILCROW_PROVIDER``,
     else the first vendor whose key variable is set); with neither it is
     the demo.
2. The demo is the scripted fake playing ``demo_script(root, client)``:
   think, a real ``read`` of a workspace file (``demo_file``: a well-known
   one, else the first visible file), then an answer labelled OFFLINE DEMO
   that ends with ``configure_hint(client)``. It reports no token usage
   (there is no model to bill) and, when its replies run out, keeps
   answering with the label and the hint.
3. ``configure_hint(client)`` says how to configure a real model in the
   client's own terms, from ``initialize``'s ``clientInfo.name``
   (``client_kind``): VS Code settings, Neovim ``setup()``, ``silcrow chat``
   flags, else ``initializationOptions`` and environment variables;
   ``setting_words(client, key, value)`` names one setting the same way, for
   any message that tells the user what to change.
4. ``script_from_env(env)`` (TEST ONLY) reads ``SILCROW_FAKE_SCRIPT``: the
   scripted replies as JSON, or ``@path`` to a JSON file; every front-end
   passes what it finds as ``script``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

from silcrow.providers.errors import ConfigError
from silcrow.providers.vendors import AUTO, FAKE, VENDORS, keyed_vendor

DEMO_FILES = ("README.md", "pyproject.toml", "package.json", "setup.py")
DEMO_LABEL = "OFFLINE DEMO"
CHAT_CLIENT = "silcrow-chat"  # the clientInfo.name of ``silcrow chat``
ACP_CLIENT = "acp"  # what ``silcrow acp`` passes when its client gave no name
FAKE_SCRIPT_ENV = "SILCROW_FAKE_SCRIPT"
KEY_VARS = "OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY"
EXAMPLE_MODEL = VENDORS["openai"].model  # the vendor table's default, named in the hints
ClientKind = Literal["vscode", "neovim", "chat", "acp", "lsp"]


class FakeScriptJson(TypedDict, total=False):
    """``extra["fake_script"]`` of the scripted provider (the ``fakeScript`` setting)."""

    replies: list[str]
    chunk: int
    delay: float
    fallback: str  # the reply once ``replies`` run out
    usage: bool  # False: no token counts (the demo has no model to bill)


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """What a front-end passes to ``make_provider``: a name (or URL) and its extra settings."""

    name: str
    demo: bool = False
    script: FakeScriptJson | None = None  # the scripted provider's replies (the demo's or a test's)
    hint: str = ""  # for the demo: how to configure a real model, in the client's terms

    @property
    def extra(self) -> dict[str, FakeScriptJson]:
        """``make_provider(..., extra=)``: where the scripted provider finds its script."""
        return {"fake_script": self.script} if self.script is not None else {}


def client_kind(client: str | None) -> ClientKind:
    """Which vocabulary a client speaks, from its ``clientInfo.name``."""
    name = (client or "").lower()
    if any(word in name for word in ("code", "vscodium", "cursor", "windsurf")):
        return "vscode"
    if "neovim" in name or name == "nvim":
        return "neovim"
    if name == CHAT_CLIENT:
        return "chat"
    if name == ACP_CLIENT:
        return "acp"
    return "lsp"


def setting_words(client: str | None, key: str, value: str) -> str:
    """How the user of ``client`` sets the daemon setting ``key`` (camelCase) to ``value``."""
    shown = json.dumps(value)
    match client_kind(client):
        case "vscode":
            return f"the setting silcrow.{key} to {shown}"
        case "neovim":
            return f'require("silcrow").setup({{ settings = {{ {key} = {shown} }} }})'
        case "chat":
            return f"--{key} {value}" if key in ("provider", "model", "mode") else f"{key} {shown}"
        case "acp" | "lsp":
            return f'initializationOptions {{"{key}": {shown}}}'


def configure_hint(client: str | None) -> str:
    """One line on configuring a real model, in the vocabulary of the client named ``client``."""
    match client_kind(client):
        case "vscode":
            return (
                "To use a real model, set silcrow.provider and silcrow.model in Settings and "
                "store your key with the command “Silcrow: Set API Key” (or set "
                f"{KEY_VARS} before starting VS Code)."
            )
        case "neovim":
            return (
                'To use a real model, call require("silcrow").setup({ settings = { provider = "openai", '
                f'model = "{EXAMPLE_MODEL}" }} }}) and set {KEY_VARS} before starting Neovim.'
            )
        case "chat":
            return (
                f"To use a real model, set {KEY_VARS} and run again, e.g. "
                f"`silcrow chat --provider openai --model {EXAMPLE_MODEL}` (or `--provider ollama` "
                "for a local OpenAI-compatible server)."
            )
        case "acp":
            return (
                f"To use a real model, set {KEY_VARS} (or SILCROW_PROVIDER and SILCROW_MODEL) "
                "in the environment the editor starts `silcrow acp` with."
            )
        case "lsp":
            return (
                'To use a real model, send initializationOptions {"provider": "openai", '
                f'"model": "{EXAMPLE_MODEL}"}} from your LSP client, or set {KEY_VARS} '
                "(or SILCROW_PROVIDER) in the environment the editor starts `silcrow serve` with."
            )


def demo_file(root: Path) -> str | None:
    """The workspace file the demo reads: a well-known one, else the first visible file."""
    for name in DEMO_FILES:
        if (root / name).is_file():
            return name
    try:
        files = sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError:
        return None
    return files[0] if files else None


def demo_script(root: Path | None, client: str | None = None) -> FakeScriptJson:
    """Scripted replies for the offline demo: think, a real read, then a labelled answer."""
    hint = configure_hint(client)
    again = (
        f"§respond: This is Silcrow's {DEMO_LABEL}: the replies are scripted, no model "
        f"is configured. {hint}\n§end\n"
    )
    name = demo_file(root) if root is not None else None
    if name is None:
        answer = (
            f"§respond: This is Silcrow's {DEMO_LABEL} (scripted replies). Put a file in "
            f"this folder and I will read it with a real tool call. {hint}\n§end\n"
        )
        return {"replies": [answer], "chunk": 3, "delay": 0.01, "fallback": again, "usage": False}
    call = json.dumps({"name": "read", "args": {"file": name, "end": 20}})
    first = (
        f"§think: This is the offline demo, so my replies are scripted; the tool call is "
        f"real. Let me read {name}.\n§call: {call}\n§execute\n"
    )
    second = (
        f"§think: The daemon read {name} from the workspace and gave me its lines.\n"
        f"§respond: That was a real `read` of {name} through the daemon, shown above. "
        f"The words you are reading now are scripted: this is the {DEMO_LABEL}. {hint}\n§end\n"
    )
    return {
        "replies": [first, second] * 10,
        "chunk": 3,
        "delay": 0.01,
        "fallback": again,
        "usage": False,
    }


def _demo(root: Path | None, client: str | None) -> ProviderChoice:
    script = demo_script(root, client)
    return ProviderChoice(FAKE, demo=True, script=script, hint=configure_hint(client))


def choose_provider(
    requested: str | None,
    *,
    script: FakeScriptJson | None = None,
    env: Mapping[str, str],
    root: Path | None = None,
    client: str | None = None,
) -> ProviderChoice:
    """The provider a front-end should build: the configured one, else the offline demo.

    ``requested`` is the user's setting or flag (None or "auto": not chosen);
    ``script`` the scripted replies configured for the fake (tests); ``root``
    the workspace the demo reads; ``client`` the client's ``clientInfo.name``.
    """
    chosen = (requested or "").strip() or AUTO
    if env.get("SILCROW_PROVIDER", "").strip() == FAKE:
        chosen = FAKE
    if chosen == AUTO:
        forced = env.get("SILCROW_PROVIDER", "").strip()
        chosen = forced if forced and forced != AUTO else (keyed_vendor(env) or "")
        if not chosen:
            return _demo(root, client)
    if chosen == FAKE:
        if script is None:
            return _demo(root, client)
        return ProviderChoice(FAKE, script=script)
    return ProviderChoice(chosen)


def script_from_env(env: Mapping[str, str]) -> Any:
    """TEST ONLY: ``SILCROW_FAKE_SCRIPT``'s JSON (inline or ``@path``), None when unset.

    Raises ``ConfigError`` when the file cannot be read or the text is not JSON;
    the shape is checked by whoever structures it (the scripted provider, the
    daemon's settings).
    """
    text = env.get(FAKE_SCRIPT_ENV, "").strip()
    if not text:
        return None
    try:
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as fh:
                text = fh.read()
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{FAKE_SCRIPT_ENV}: use JSON or @file ({exc})") from None
