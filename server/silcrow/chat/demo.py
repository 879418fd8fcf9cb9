"""The provider choice and the offline demo: scripted replies, a real tool call, and its label.

Algorithm:
1. ``choose_provider``: ``--provider``, else ``SILCROW_PROVIDER``, else the
   first vendor whose API key is in the environment; with none, ``None``:
   the OFFLINE DEMO.
2. ``demo_script(root)``: replies for the bundled scripted fake provider
   (the ``fakeScript`` setting): think, a real ``read`` of a workspace file
   (``demo_file``: a well-known one, else the first visible file), then
   respond; without any file, one scripted answer asking for one.
3. ``banner(provider)``: the first line printed; for the demo it says the
   replies are scripted and how to configure a real provider.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

from silcrow.providers.vendors import VENDORS

KEY_VARS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "google": "GOOGLE_API_KEY",
}
DEMO_FILES = ("README.md", "pyproject.toml", "package.json", "setup.py")
HOW_TO_CONFIGURE = (
    "To use a real model, set an API key and run again:\n"
    "  export OPENAI_API_KEY=...      (or ANTHROPIC_API_KEY, GEMINI_API_KEY)\n"
    f"  silcrow chat --provider openai --model {VENDORS['openai'].model}\n"
    "(`silcrow models` lists the models your key can use, `silcrow doctor` checks the setup)\n"
    "or a local OpenAI-compatible server: silcrow chat --provider ollama"
)


class DemoScript(TypedDict):
    """The ``fakeScript`` setting as sent in ``initializationOptions``."""

    replies: list[str]
    chunk: int
    delay: float


def choose_provider(requested: str | None, env: dict[str, str]) -> str | None:
    """The provider to use, or None for the offline demo."""
    if requested:
        return requested
    if env.get("SILCROW_PROVIDER"):
        return env["SILCROW_PROVIDER"]
    for vendor, var in KEY_VARS.items():
        if env.get(var):
            return "gemini" if vendor == "google" else vendor
    return None


def demo_file(root: Path) -> str | None:
    """The workspace file the demo reads: a well-known one, else the first visible file."""
    for name in DEMO_FILES:
        if (root / name).is_file():
            return name
    files = sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    return files[0] if files else None


def demo_script(root: Path) -> DemoScript:
    """Scripted replies for the offline demo: think, a real read, then respond."""
    name = demo_file(root)
    if name is None:
        answer = (
            "§respond: This is Silcrow's OFFLINE DEMO (scripted replies). "
            "Put a file in this folder and I will read it with a real tool call.\n§end\n"
        )
        return {"replies": [answer] * 20, "chunk": 3, "delay": 0.01}
    call = json.dumps({"name": "read", "args": {"file": name, "end": 20}})
    first = (
        f"§think: This is the offline demo, so my replies are scripted; the tool call is "
        f"real. Let me read {name}.\n§call: {call}\n§execute\n"
    )
    second = (
        f"§think: The daemon read {name} from the workspace and gave me its lines.\n"
        f"§respond: That was a real `read` of {name} through the daemon, shown above. "
        f"The words you are reading now are scripted: this is the OFFLINE DEMO.\n§end\n"
    )
    return {"replies": [first, second] * 10, "chunk": 3, "delay": 0.01}


def banner(provider: str | None) -> str:
    """The first line of a chat: the demo's label and how to leave it, or the provider's name."""
    if provider is None:
        return (
            "=== Silcrow OFFLINE DEMO: no provider configured and no API key found; "
            "replies are scripted (tool calls are real). ===\n" + HOW_TO_CONFIGURE
        )
    return f"Silcrow chat ({provider}). Ctrl-C cancels a turn, /quit exits, /help lists commands."
