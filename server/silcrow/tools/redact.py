"""Redaction of credentials in tool results before they are stored or sent.

Algorithm:
1. A fixed, ordered table of (kind, pattern) for well-known token formats:
   PEM private key blocks first (they span lines), then vendor keys with
   distinctive prefixes (Anthropic before OpenAI, since ``sk-ant-`` also
   starts with ``sk-``), JWTs, ``Bearer`` headers, the password in a URL
   (``postgres://app:pw@db``); last, a value
   assigned to a secret-looking name (``AWS_SECRET_ACCESS_KEY=...``,
   ``password: "..."``), for credentials without a distinctive format.
2. Each match is replaced by ``[redacted:<kind>]``; for a pattern with a
   ``value`` group only that group is (the name and ``=`` or the URL's user
   and host stay).
   Text without matches is returned unchanged (the same object).
Patterns need enough length after the prefix that ordinary words such as
``sk-learn`` or ``task-ant`` are left alone; an assigned value must be 16 to
1024 token characters with a digit, not a snake_case name, not followed by
``(`` or ``[``, so ``password = read_password()``, ``key = api_key_v2_2024``
and ``token = os.environ["TOKEN"]`` stay. Every quantifier is bounded or
possessive: no input makes a pattern backtrack for long.
"""

from __future__ import annotations

import functools
import re

PRIVATE_KEY_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"
_PRIVATE_KEY_HEADER = re.compile(PRIVATE_KEY_BEGIN)


def holds_private_key(text: str) -> bool:
    """Whether ``text`` holds the header line of a private key block."""
    return _PRIVATE_KEY_HEADER.search(text) is not None


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("private-key", PRIVATE_KEY_BEGIN + r"[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)"),
        ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
        ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
        ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
        ("aws-access-key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
        ("slack-token", r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9\-]{10,}"),
        ("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}"),
        ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
        ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
        ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("google-api-key", r"\bAIza[A-Za-z0-9_\-]{35}"),
        ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
        ("bearer-token", r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{20,}=*"),
        ("url-password", r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s/:@]{1,128}:(?P<value>[^\s/@]{3,256})@"),
        ("assigned-secret",
         r"(?i)(?<![A-Za-z0-9_.\-])"
         r"(?=[A-Za-z0-9_.\-]*?(?:secret|password|passwd|token|api[_\-]?key|private[_\-]?key|access[_\-]?key|credential))"
         r"[A-Za-z0-9_.\-]++[\"']?\s*+[:=]\s*+[\"']?"
         r"(?P<value>(?=[A-Za-z0-9/+_\-.=~]{0,1023}[0-9])(?![a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9/+\-.=~]))"
         r"[A-Za-z0-9/+_\-.=~]{16,1024}+)(?![A-Za-z0-9/+_\-.=~(\[])"),
    )
)


def _substitute(kind: str, match: re.Match[str]) -> str:
    label = f"[redacted:{kind}]"
    if "value" not in match.re.groupindex:
        return label
    whole, start, end = match.group(0), *match.span("value")
    return whole[: start - match.start()] + label + whole[end - match.start() :]


def redact(text: str) -> str:
    """``text`` with every known credential format replaced by ``[redacted:<kind>]``."""
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            text = pattern.sub(functools.partial(_substitute, kind), text)
    return text


def redaction_kinds() -> tuple[str, ...]:
    """The kinds ``redact`` knows, in the order they are applied."""
    return tuple(kind for kind, _ in _PATTERNS)
