"""Redaction of credentials in tool results before they are stored, sent or searched.

Algorithm:
1. The daemon's own secrets first: the value of every environment variable
   with a secret-looking name (``is_secret_var``: ``*_API_KEY``,
   ``*_TOKEN``, ``*PASSWORD*``, ``DB_PASS``, ``MYSQL_PWD``, ...), every value
   a rule below would redact, and the password inside any URL-valued
   variable (``REDIS_URL=redis://:pw@cache``) are replaced, as exact
   strings, by ``[redacted:env:<NAME>]``, longest first. Values shorter than
   ``MIN_ENV_VALUE`` characters are left alone: a short value is more often
   a word than a secret, and hiding it would garble ordinary output. The
   list is rebuilt only when the environment changes.
2. A key split over lines: a run of quoted string pieces joined across line
   breaks (``"sk-proj-AbC"`` newline ``"dEf..."``, with ``+``, ``.`` or
   ``\\`` between them) is joined and checked with the rules of step 3; if
   the joined value holds a credential, the whole run is replaced.
3. The rules of ``silcrow.tools.secret_rules`` (detect-secrets' detectors
   plus project rules), all on RE2, so redaction is linear in the text: one
   RE2 set pass finds which rules match at all, then each of those, in
   table order, replaces what it matched by ``[redacted:<kind>]`` (for a
   rule with a ``value`` group or capture groups, only those: the name and
   ``=`` or the URL's user and host stay).
Text without matches is returned unchanged (the same object). The work is
done on UTF-8 bytes (lone surrogates pass through), encoded once. RE2
releases the GIL while it matches. ``warm_up()`` builds the rules ahead of
the first call.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import Any

import re2

from silcrow.tools.secret_rules import Rule, all_rules, linear, private_key_header

MIN_ENV_VALUE = 8

_SECRET_VAR = re.compile(
    r"(_API_?KEY|_KEY$|^KEY$|_KEYS?_|_TOKEN|TOKEN_|^TOKEN$|_SECRET|SECRET_|^SECRET$|PASSWORD|PASSWD|PASSPHRASE"
    r"|_PASS$|^DB_?PASS|_PWD$|_PW$|_CREDENTIALS?|PRIVATE_KEY|JWT|WEBHOOK|_PAT$|_AUTH$|AUTH_TOKEN|_DSN$|COOKIE)",
    re.IGNORECASE,
)
_SECRET_EXACT = frozenset(
    {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN",
        "GH_TOKEN", "NPM_TOKEN", "HF_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "DATABASE_URL",
        "SSH_AUTH_SOCK", "MYSQL_PWD", "PGPASSWORD", "REDIS_URL", "REDIS_PASSWORD",
    }
)  # fmt: skip
_NOT_SECRET = frozenset({"PWD", "OLDPWD"})


def is_secret_var(name: str) -> bool:
    """Whether an environment variable's name says it holds a credential."""
    upper = name.upper()
    if upper in _NOT_SECRET:
        return False
    return upper in _SECRET_EXACT or bool(_SECRET_VAR.search(upper))


def holds_private_key(text: str) -> bool:
    """Whether ``text`` holds the header of a private key block (PEM, PGP, OpenSSH, SSH2, PuTTY)."""
    return private_key_header().search(text) is not None


# -- step 3: the rules -------------------------------------------------------------------------
SET_MEMORY = (
    64 << 20
)  # with RE2's default 8 MB the set's DFA thrashes: 0.6 s per MB instead of 0.01 s


@functools.cache
def _rule_set() -> Any:
    """One RE2 set of every rule: a single pass says which rules match at all."""
    options = re2.Options()
    options.max_mem = SET_MEMORY
    found = re2.Set.SearchSet(options)
    for rule in all_rules():
        found.Add(rule.pattern.pattern)
    found.Compile()
    return found


def _apply(rule: Rule, data: bytes) -> bytes:
    label = f"[redacted:{rule.kind}]".encode()
    pieces, done = [], 0
    for match in rule.pattern.finditer(data):
        if rule.accept is not None and not rule.accept(
            rule.value(match), data[match.end() : match.end() + 1]
        ):
            continue
        for start, end in rule.spans(match):
            if start >= done:
                pieces += [data[done:start], label]
                done = end
    if not pieces:
        return data
    pieces.append(data[done:])
    return b"".join(pieces)


def _by_rules(data: bytes) -> bytes:
    rules = all_rules()
    for index in sorted(_rule_set().Match(data) or ()):
        data = _apply(rules[index], data)
    return data


# -- step 2: a key split over lines ------------------------------------------------------------
_PIECE = r"(?:\"[A-Za-z0-9+/=_\-.:~]+\"|'[A-Za-z0-9+/=_\-.:~]+')"
_LINE_PREFIX = r"(?:[ \t]*\d{1,9}\t|[^\s:\"']{1,200}[:-]\d{1,9}[:-])?"  # read's line numbers, grep -n's file:line:
_SPLIT_RUN = linear(
    rf"{_PIECE}(?:[ \t]*[+.\\]?[ \t]*\r?\n{_LINE_PREFIX}[ \t]*[+.]?[ \t]*{_PIECE})+"
)
_INNER = re.compile(rb"[\"']([^\"'\n]*)[\"']")  # one pass, no nesting: linear on Python's re too
_LABEL = re.compile(rb"\[redacted:[^\]]+\]")


def _joined_runs(data: bytes) -> bytes:
    pieces, done = [], 0
    for match in _SPLIT_RUN.finditer(data):
        start, end = match.span()
        line_start = data.rfind(b"\n", 0, start) + 1
        joined = b"".join(_INNER.findall(match.group(0)))
        probe = data[line_start:start] + b'"' + joined + b'"'
        label = _LABEL.search(_by_rules(probe))
        if label is not None:
            pieces += [data[done:start], b'"', label.group(0), b'"']
            done = end
    if not pieces:
        return data
    pieces.append(data[done:])
    return b"".join(pieces)


# -- step 1: the daemon's environment ----------------------------------------------------------
EnvNeedles = tuple[tuple[bytes, bytes], ...]  # (secret value, its label), longest value first
_URL_PASSWORD = linear(r"://[^\s/:@]{0,128}:([^\s/@]{1,256})@")


@functools.lru_cache(maxsize=4)
def _env_needles(items: tuple[tuple[str, str], ...]) -> EnvNeedles:
    needles: dict[bytes, bytes] = {}
    for name, value in items:
        label = f"[redacted:env:{name}]".encode()
        data = value.encode("utf-8", "surrogatepass")
        found = [m.group(1) for m in _URL_PASSWORD.finditer(data)]
        if is_secret_var(name) or _by_rules(data) != data:
            found.append(data)
        for needle in found:
            if len(needle.decode("utf-8", "replace")) >= MIN_ENV_VALUE:
                needles.setdefault(needle, label)
    return tuple(sorted(needles.items(), key=lambda item: -len(item[0])))


def env_needles(environ: Mapping[str, str] | None = None) -> EnvNeedles:
    """(value, label) for every secret value of ``environ`` (default: the daemon's), longest first."""
    source = os.environ if environ is None else environ
    return _env_needles(tuple(sorted(source.items())))


def _env_values(data: bytes, needles: EnvNeedles) -> bytes:
    for needle, label in needles:
        if needle in data:
            data = data.replace(needle, label)
    return data


# -- the entry point ---------------------------------------------------------------------------
def redact(text: str, needles: EnvNeedles | None = None) -> str:
    """``text`` with the daemon's secret values and every known credential format replaced.

    ``needles`` are ``env_needles()`` taken once by a caller redacting many
    texts in a row (reading the environment costs more than a small file's
    redaction); by default they are taken now.
    """
    data = text.encode("utf-8", "surrogatepass")
    out = _by_rules(_joined_runs(_env_values(data, env_needles() if needles is None else needles)))
    return text if out == data else out.decode("utf-8", "surrogatepass")


def warm_up() -> None:
    """Load detect-secrets and compile every rule now (about 0.3 s), not on the first tool result.

    The daemon may call it in a thread at start-up (``asyncio.to_thread(warm_up)``).
    """
    _rule_set()
    private_key_header()


def redaction_kinds() -> tuple[str, ...]:
    """The kinds ``redact`` knows, in the order they are applied (first occurrence of each)."""
    return tuple(dict.fromkeys(rule.kind for rule in all_rules()))
