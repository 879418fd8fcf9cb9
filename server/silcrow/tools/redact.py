"""Redaction of credentials in tool results before they are stored or sent.

Algorithm:
1. A fixed, ordered table of (kind, pattern) for well-known token formats:
   PEM private key blocks first (they span lines), then vendor keys with
   distinctive prefixes (Anthropic before OpenAI, since ``sk-ant-`` also
   starts with ``sk-``), JWTs, and ``Bearer`` headers.
2. Each match is replaced by ``[redacted:<kind>]``; text without matches is
   returned unchanged (the same object).
Patterns need enough length after the prefix that ordinary words such as
``sk-learn`` or ``task-ant`` are left alone.
"""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("private-key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)"),
        ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
        ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
        ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
        ("aws-access-key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
        ("slack-token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
        ("google-api-key", r"\bAIza[A-Za-z0-9_\-]{35}"),
        ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
        ("bearer-token", r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{20,}=*"),
    )
)


def redact(text: str) -> str:
    """``text`` with every known credential format replaced by ``[redacted:<kind>]``."""
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            text = pattern.sub(f"[redacted:{kind}]", text)
    return text


def redaction_kinds() -> tuple[str, ...]:
    """The kinds ``redact`` knows, in the order they are applied."""
    return tuple(kind for kind, _ in _PATTERNS)
