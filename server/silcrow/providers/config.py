"""Provider configuration shared by every adapter.

``ProviderConfig`` is plain data: which vendor, which model, where, with
which key. ``silcrow.providers.registry`` turns a name such as ``"openai"``
or a base URL into a config and a provider; adapters only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

LiveTransport = Literal["responses", "realtime", "gemini-live", "none"]


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str  # "openai" | "anthropic" | "gemini" | "ollama" | "openai-compatible" | "fake"
    model: str
    base_url: str  # HTTP base, e.g. "https://api.openai.com/v1"
    api_key: str | None = None
    api_key_env: str | None = None  # the variable the key came from (named in errors)
    live_model: str | None = None  # model for the live transport, if different
    live_transport: LiveTransport = "none"
    live_url: str | None = None  # WebSocket base, derived from base_url when None
    timeout: float = 60.0  # seconds without a byte before giving up
    connect_timeout: float = 10.0
    max_retries: int = 3
    max_output_tokens: int = 4096
    extra: dict[str, Any] = field(default_factory=dict)
