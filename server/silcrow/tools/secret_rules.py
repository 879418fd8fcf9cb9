"""The credential formats ``redact`` hides: detect-secrets' detectors plus project rules.

Algorithm:
1. Every rule is a pattern for the linear-time engine RE2 (``import re2``),
   so no tool output can make redaction backtrack; a rule may add an
   ``accept`` check on its match (what RE2 cannot say: "not followed by",
   "holds a digit"). A rule hides its ``value`` group, or every non-empty
   capture group, or else the whole match.
2. ``FIRST_SPECS``: key blocks (PEM, PGP, OpenSSH, PuTTY's private lines), two or
   more lines of mixed-case base64 (a key block's body without its header,
   as ``sed -n 2,5p`` prints it), then the project's vendor formats whose
   labels tools and tests already know (Anthropic before OpenAI, since
   ``sk-ant-`` also starts with ``sk-``), then what is left of a vendor key
   cut at the end of a line (``"sk-proj-AbC" +``).
3. The regex detectors of Yelp's detect-secrets (``PLUGIN_NAMES``, imported
   on first use: the package takes about 0.2 s to import),
   their own patterns translated for RE2 (lookbehind anchors dropped,
   ``(?!\\w)``-style tails dropped, repeats clamped to RE2's limit of 1000; a
   slightly wider match only hides a little more). Left out on purpose: the
   entropy detectors (on this project's own tree they flag 8,559 lines, git
   hashes, UUIDs and ordinary identifiers among them), the keyword detector
   (its patterns need backreferences and backtracking, and it flags 45 lines
   of this tree; ``LAST`` covers assignments) and public IP addresses (not
   credentials). ``PrivateKeyDetector``'s headers feed
   ``private_key_header``.
4. ``LAST_SPECS``: formats detect-secrets 1.5 misses (checked one by one in
   tests/tools/test_tools_redact.py): Docker ``"auth"``, ``Authorization:
   Basic``, Discord webhooks, pgpass lines, a password in a URL (with or
   without a user), PHP ``define('DB_PASSWORD', ...)`` and other quoted
   name/value pairs, YAML ``passphrase:``, and a value assigned to a
   secret-looking name (``AWS_SECRET_ACCESS_KEY=...``).
5. ``all_rules()`` is the three in that order, built once.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import re2

Match = Any  # re2._Match: the wrapper ships no type information
Accept = Callable[[bytes, bytes], bool]  # (the value a rule would hide, the byte after the match)

PLUGIN_NAMES = (
    "aws.AWSKeyDetector", "artifactory.ArtifactoryDetector", "azure_storage_key.AzureStorageKeyDetector",
    "basic_auth.BasicAuthDetector", "cloudant.CloudantDetector", "discord.DiscordBotTokenDetector",
    "github_token.GitHubTokenDetector", "gitlab_token.GitLabTokenDetector", "ibm_cloud_iam.IbmCloudIamDetector",
    "ibm_cos_hmac.IbmCosHmacDetector", "jwt.JwtTokenDetector", "mailchimp.MailchimpDetector",
    "npm.NpmDetector", "openai.OpenAIDetector", "pypi_token.PypiTokenDetector", "sendgrid.SendGridDetector",
    "slack.SlackDetector", "softlayer.SoftlayerDetector", "square_oauth.SquareOAuthDetector",
    "stripe.StripeDetector", "telegram_token.TelegramBotTokenDetector", "twilio.TwilioKeyDetector",
)  # fmt: skip
# detect-secrets takes ~0.2 s to import (it brings requests): loaded on the first redaction, not at start.


def plugin(name: str) -> Any:
    """The detect-secrets plugin class ``module.Class`` (under ``detect_secrets.plugins``)."""
    module, cls = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a pattern RE2 refuses is reported by the caller, not on stderr


def linear(pattern: str) -> Any:
    """``pattern`` compiled by RE2; ``re2.error`` when RE2 cannot run it in linear time."""
    return re2.compile(pattern, _OPTIONS)


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: Any  # re2._Regexp
    accept: Accept | None = None

    def value(self, match: Match) -> bytes:
        """What ``accept`` judges: the ``value`` group, or the whole match."""
        index = self.pattern.groupindex.get("value")
        return bytes(match.group(index if index is not None else 0) or b"")

    def spans(self, match: Match) -> list[tuple[int, int]]:
        """The spans of ``match`` to hide: its ``value`` group, its capture groups, or all of it."""
        index = self.pattern.groupindex.get("value")
        if index is not None:
            return [match.span(index)] if match.group(index) else []
        groups = [match.span(i) for i in range(1, self.pattern.groups + 1) if match.group(i)]
        merged: list[tuple[int, int]] = []
        for start, end in sorted(groups):
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged or [match.span()]


# -- key blocks ------------------------------------------------------------------------------
_KEY_WORDS = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?"


_OUR_KEY_HEADERS = (
    rf"-----BEGIN {_KEY_WORDS}-----",
    r"---- BEGIN SSH2 ENCRYPTED PRIVATE[ ]KEY ----",
)  # [ ]: this file is no key


# -- accept checks (what RE2 cannot express) ---------------------------------------------------
_TOKEN_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+_-.=~([")
_SNAKE_NAME = re.compile(rb"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def _assigned_value(value: bytes, after: bytes) -> bool:
    """A credential, not a name: holds a digit, is no snake_case name, ends the token, is not called."""
    return (
        any(c in b"0123456789" for c in value)
        and not _SNAKE_NAME.fullmatch(value)
        and not (after and after[0] in _TOKEN_CHARS)
    )


_IDENTIFIER = re.compile(rb"[A-Za-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _quoted_value(value: bytes, after: bytes) -> bool:
    """A quoted credential, not prose (spaces), a placeholder (``${X}``, ``<pw>``) or a name (``API_KEY``)."""
    return not (
        any(c in b" \t" for c in value)
        or value[:1] in (b"$", b"<", b"{", b"%")
        or _IDENTIFIER.fullmatch(value)
    )


def _mixed_base64(value: bytes, after: bytes) -> bool:
    """Upper and lower case letters and digits: a key, not a hex hash, a word or a ruler line."""
    return (
        value.upper() != value and value.lower() != value and any(c in b"0123456789" for c in value)
    )


def _mixed_case_or_digit(value: bytes, after: bytes) -> bool:
    """A key fragment, not a word: a digit, or upper and lower case letters (``sk-learn`` is a word)."""
    return any(c in b"0123456789" for c in value) or value.upper() != value != value.lower()


def _not_code(value: bytes, after: bytes) -> bool:
    """A value, not an expression: no call, no placeholder, no literal such as ``None``."""
    stripped = value.strip()
    return not (
        b"(" in stripped
        or stripped[:1] in (b"$", b"<", b"{", b"%")
        or stripped in (b"None", b"null", b"True", b"False", b"true", b"false")
    )


# -- the tables --------------------------------------------------------------------------------
_SECRET_NAME = r"(?:secret|password|passwd|passphrase|pass_phrase|token|api[_\-]?key|private[_\-]?key|access[_\-]?key|credential)"
_NAME_CHARS = r"[A-Za-z0-9_.\-]"
_B64 = r"[A-Za-z0-9+/]"
_NUMBERED = r"(?:[ \t]*\d{1,9}\t)?"  # the line numbers ``read`` puts in front of each line
_QUOTED_NAME = r"[\"']" + _NAME_CHARS + "*" + _SECRET_NAME + _NAME_CHARS + r"*[\"']"

FIRST_SPECS: tuple[tuple[str, str, Accept | None], ...] = (
    ("private-key", r"(?:" + "|".join(_OUR_KEY_HEADERS) + r")[\s\S]*?(?:-----END " + _KEY_WORDS
     + r"-----|---- END SSH2 ENCRYPTED PRIVATE[ ]KEY ----|\z)", None),
    ("private-key", r"Private-Lines: *\d+\r?\n(?P<value>(?:" + _B64 + r"+={0,2}\r?\n?)+)", None),
    ("key-block-body", r"(?m)^" + _NUMBERED + r"(?P<value>" + _B64 + r"{40,}={0,2}\r?\n(?:" + _NUMBERED + _B64
     + r"{16,}={0,2}(?:\r?\n|\z))+)", _mixed_base64),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", None),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", None),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})", None),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", None),
    ("slack-token", r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9\-]{10,}", None),
    ("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}", None),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", None),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}", None),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}", None),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", None),
    ("google-api-key", r"\bAIza[A-Za-z0-9_\-]{35}", None),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", None),
    ("bearer-token", r"(?i)\bbearer +(?P<value>[A-Za-z0-9._~+/\-]{20,}=*)", None),
    ("split-key", r"(?m)\b(?:sk-(?:ant-|proj-|svcacct-|admin-)?|gh[pousr]_|github_pat_|glpat-|xox[abposre]-|hf_|npm_"
     r"|AIza|[sr]k_live_)[A-Za-z0-9_\-]{4,}(?:[\"'][ \t]*[+.\\]?|[ \t]*\\)?[ \t]*\r?$", _mixed_case_or_digit),
)  # fmt: skip

LAST_SPECS: tuple[tuple[str, str, Accept | None], ...] = (
    ("basic-auth", r"(?i)\bbasic +(?P<value>" + _B64 + r"{8,}={0,2})", _mixed_base64),
    ("docker-auth", r"(?i)\"(?:auth|identitytoken|registrytoken)\" *: *\"(?P<value>[^\"\s]{8,})\"", None),
    ("discord-webhook", r"(?i)https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/(?P<value>[A-Za-z0-9_\-]{20,})", None),
    ("url-password", r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s/:@]*:(?P<value>[^\s/@]{3,})@", None),
    ("pgpass", r"(?m)^" + _NUMBERED + r"[^:\s#]+:(?:\d{1,5}|\*):[^:\s]+:[^:\s]+:(?P<value>\S+)$", None),
    ("passphrase", r"(?i)(?:^|[^A-Za-z0-9_.\-])[\"']?" + _NAME_CHARS + r"*pass_?phrase" + _NAME_CHARS
     + r"*[\"']?(?:: +| *= *)(?P<value>[^\s#`][^\r\n]{5,})", _not_code),
    ("quoted-secret", r"(?i)(?:\([ \t]*" + _QUOTED_NAME + r"[ \t]*,|(?:^|[\s{\[,;])" + _QUOTED_NAME
     + r"[ \t]*(?:=>|:|=))[ \t]*[\"'](?P<value>[^\"'\r\n]{6,})[\"']", _quoted_value),
    ("assigned-secret", r"(?i)(?:^|[^A-Za-z0-9_.\-])" + _NAME_CHARS + r"*" + _SECRET_NAME + _NAME_CHARS
     + r"*[\"']? *[:=] *[\"']?(?P<value>[A-Za-z0-9/+_\-.=~]{16,})", _assigned_value),
)  # fmt: skip


def _detector_pattern(rx: re.Pattern[str]) -> str:
    """One detect-secrets pattern in RE2's dialect (see the module docstring, step 3)."""
    source = rx.pattern.replace(r"(?:(?<=\W)|(?<=^))", "")
    source = re.sub(r"\(\?!(?:\\w|\[[^\]]*\])\)", "", source)
    source = re.sub(r"\{(\d+),(\d+)\}", lambda m: f"{{{m[1]},{min(int(m[2]), 1000)}}}", source)
    if rx.flags & re.VERBOSE and any(c.isspace() for c in source):
        raise ValueError(f"{rx.pattern!r}: verbose patterns are not translated")
    return ("(?i)" if rx.flags & re.IGNORECASE else "") + source


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


def _detector_rules(names: Iterable[str]) -> list[Rule]:
    rules = []
    for name in names:
        cls = plugin(name)
        rules += [
            Rule(_slug(cls.secret_type), linear(_detector_pattern(rx))) for rx in cls.denylist
        ]
    return rules


def _rules(specs: Iterable[tuple[str, str, Accept | None]]) -> list[Rule]:
    return [Rule(kind, linear(pattern), accept) for kind, pattern, accept in specs]


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """``FIRST``, ``DETECTOR`` and ``LAST``, in the order ``redact`` applies them (built once)."""
    return (*_rules(FIRST_SPECS), *_detector_rules(PLUGIN_NAMES), *_rules(LAST_SPECS))


@functools.cache
def private_key_header() -> Any:
    """One RE2 pattern for the header of any key block: ours and PrivateKeyDetector's.

    Ours (``-----BEGIN ... PRIVATE KEY-----``, the SSH2 form) count anywhere,
    inside a string literal too. detect-secrets' bare forms (``BEGIN RSA
    PRIVATE KEY``, ``PuTTY-User-Key-File-2``) count only at the start of a
    line: a sentence that names one is not a key.
    """
    theirs = "|".join(rx.pattern for rx in plugin("private_key.PrivateKeyDetector").denylist)
    ours = "|".join(_OUR_KEY_HEADERS)
    return linear(rf"(?m){ours}|^[ \t\"']*(?:-{{4,5}} ?)?(?:{theirs})")
