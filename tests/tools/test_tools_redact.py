"""Redaction of each known credential format, and leaving ordinary text alone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from silcrow.tools import secret_rules
from silcrow.tools.redact import (
    env_needles,
    holds_private_key,
    is_secret_var,
    redact,
    redaction_kinds,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----"

CASES = [
    ("sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123", "openai-key"),
    ("sk-abcdefghijklmnopqrstuvwxyz012345", "openai-key"),
    ("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123-xyz", "anthropic-key"),
    ("ghp_" + "a1B2c3D4e5" * 4, "github-token"),
    ("gho_" + "a1B2c3D4e5" * 4, "github-token"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github-token"),
    ("AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
    ("xoxb-123456789012-abcdefghijkl", "slack-token"),
    ("xoxp-123456789012-abcdefghijkl", "slack-token"),
    ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "google-api-key"),
    ("xapp-1-A0123456789-abcdefghij", "slack-token"),
    (
        "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx",
        "slack-webhook",
    ),
    ("sk_live_" + "a1B2c3D4e5" * 3, "stripe-key"),
    ("rk_test_" + "a1B2c3D4e5" * 3, "stripe-key"),
    ("glpat-" + "a1B2c3D4e5" * 2, "gitlab-token"),
    ("hf_" + "a1B2c3D4e5" * 4, "huggingface-token"),
    ("npm_" + "a1B2c3D4e5" * 3 + "a1B2c3", "npm-token"),
    (PEM, "private-key"),
    (JWT, "jwt"),
]


@pytest.mark.parametrize(("secret", "kind"), CASES)
def test_each_format_is_redacted(secret: str, kind: str) -> None:
    text = f"config: {secret} end"
    out = redact(text)
    assert out == f"config: [redacted:{kind}] end"


def test_assigned_secret_keeps_the_name() -> None:
    out = redact(
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\npassword: 'Tr0ub4dor&3'"
    )
    assert out == "AWS_SECRET_ACCESS_KEY=[redacted:assigned-secret]\npassword: 'Tr0ub4dor&3'"


def test_url_password_keeps_user_and_host() -> None:
    out = redact("DATABASE_URL=postgres://app:s3cret-pw@db:5432/app")
    assert out == "DATABASE_URL=postgres://app:[redacted:url-password]@db:5432/app"


def test_bearer_header() -> None:
    out = redact("Authorization: Bearer abc123def456ghi789jkl012mno345")
    assert out == "Authorization: Bearer [redacted:bearer-token]"


def test_ordinary_text_is_untouched() -> None:
    text = "pip install scikit-learn; task-ant; sk-learn; Bearer short; AKIA; def ghp(): pass"
    assert redact(text) is text


def test_unterminated_pem_is_redacted_to_the_end() -> None:
    out = redact("before\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B")
    assert out == "before\n[redacted:private-key]"


B64 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
PGP = f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0abcDEF123\n{B64}\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----"
# Formats detect-secrets 1.5 misses: each has a project rule (see secret_rules.LAST_SPECS).
MISSED = [
    (
        "define('DB_PASSWORD', 'Tr0ub4dor&3xx');",
        "define('DB_PASSWORD', '[redacted:quoted-secret]');",
    ),
    ("$db = ['password' => 'hunter2hunter'];", "$db = ['password' => '[redacted:quoted-secret]'];"),
    (
        '{"auths": {"r.io": {"auth": "dXNlcjpodW50ZXIyMjIyMjI="}}}',
        '{"auths": {"r.io": {"auth": "[redacted:docker-auth]"}}}',
    ),
    ("Authorization: Basic dXNlcjpodW50ZXIyMjIyMjI=", "Authorization: Basic [redacted:basic-auth]"),
    (
        "https://discord.com/api/webhooks/123456789012345678/" + "a1B2c3D4e5" * 6,
        "https://discord.com/api/webhooks/123456789012345678/[redacted:discord-webhook]",
    ),
    (
        "db.example.com:5432:app:appuser:Tr0ub4dor3xyzzy",
        "db.example.com:5432:app:appuser:[redacted:pgpass]",
    ),
    (
        "gpg:\n  passphrase: correct horse battery staple\n",
        "gpg:\n  passphrase: [redacted:passphrase]\n",
    ),
    (
        "REDIS_URL=redis://:p4ssw0rdXYZ@cache:6379/0",
        "REDIS_URL=redis://:[redacted:url-password]@cache:6379/0",
    ),
]
# Formats it catches: no project rule of their own; the label is detect-secrets' type.
CAUGHT = [
    ("SG.a1B2c3D4e5F6g7H8i9J0k1.a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1v", "[redacted:sendgrid-api-key]"),
    ("AccountKey=" + "A1b2" * 22 + ";", "[redacted:azure-storage-account-access-key];"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), MISSED + CAUGHT)
def test_formats_outside_the_old_table(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(("text", "expected"), MISSED)
def test_each_project_rule_covers_what_detect_secrets_misses(text: str, expected: str) -> None:
    plugins = [secret_rules.plugin(name)() for name in secret_rules.PLUGIN_NAMES]
    for number, line in enumerate(text.splitlines(), 1):
        assert not any(
            p.analyze_line(filename="x.txt", line=line, line_number=number) for p in plugins
        )


@pytest.mark.parametrize(("text", "expected"), CAUGHT)
def test_detect_secrets_catches_these_alone(text: str, expected: str) -> None:
    plugins = [secret_rules.plugin(name)() for name in secret_rules.PLUGIN_NAMES]
    assert any(p.analyze_line(filename="x.txt", line=text, line_number=1) for p in plugins)


def test_pgp_block_is_redacted_and_counts_as_a_private_key() -> None:
    assert redact(f"key:\n{PGP}\nafter") == "key:\n[redacted:private-key]\nafter"
    assert holds_private_key(PGP)
    assert holds_private_key("PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 1\nAAAA\n")
    assert not holds_private_key("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert holds_private_key('KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIE')  # in a literal too
    assert holds_private_key(
        "BEGIN OPENSSH PRIVATE KEY\n"
    )  # detect-secrets' bare form, at a line start
    assert not holds_private_key("the file starts with BEGIN OPENSSH PRIVATE KEY and ...")  # prose


@pytest.mark.parametrize(
    "text",
    [
        'KEY = ("sk-proj-AbCdEfGhIj"\n       "KlMnOpQrStUvWx0123")',
        'key = "sk-proj-AbCdEfGhIj" +\n  "KlMnOpQrStUvWx0123"',
        "$key = 'sk-proj-AbCdEfGhIj' .\n  'KlMnOpQrStUvWx0123';",
    ],
)
def test_a_key_split_over_lines(text: str) -> None:
    out = redact(text)
    assert "AbCdEfGhIj" not in out and "KlMnOp" not in out and "[redacted:openai-key]" in out


def test_the_first_piece_of_a_split_key_alone() -> None:
    """As ``grep -n`` shows it: the second line is not there to join."""
    assert (
        redact('src/a.py:1:KEY = ("sk-proj-AbCdEfGhIj" +')
        == 'src/a.py:1:KEY = ("[redacted:split-key]'
    )
    assert redact("pip install sk-learn\n") == "pip install sk-learn\n"


def test_a_key_block_body_without_its_header() -> None:
    body = f"{B64}\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
    assert redact(body) == "[redacted:key-block-body]"
    numbered = "".join(f"{n:>6}\t{line}\n" for n, line in enumerate(body.splitlines(), 2))
    assert redact(numbered) == "     2\t[redacted:key-block-body]"


def test_no_false_positives_on_hashes_uuids_and_code() -> None:
    hashes = "\n".join(f"{n:040x}" for n in range(10**12, 10**12 + 5))
    uuids = "\n".join(str(uuid.UUID(int=n * 7919)) for n in range(5))
    code = (
        'KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}\n'
        'streaming: Literal["token", "response"] = "token"\n'
        "password = read_password()\ntoken = os.environ['TOKEN']\n"
        'PASSWORD_HINT = "Password must have 8 characters"\n'
    )
    for text in (hashes, uuids, code):
        assert redact(text) is text


def test_the_projects_own_source_is_left_alone() -> None:
    """The rule set was chosen on this tree (entropy detectors would flag thousands of its lines)."""
    root = Path(__file__).resolve().parents[2] / "server" / "silcrow"
    texts = {p.name: p.read_text() for p in sorted(root.rglob("*.py"))}
    flagged = [
        name for name, text in texts.items() if redact(text) != text or holds_private_key(text)
    ]
    assert flagged == [], flagged


def test_secret_looking_variable_names() -> None:
    secret = [
        "OPENAI_API_KEY",
        "DB_PASS",
        "MYSQL_PWD",
        "PGPASSWORD",
        "GITHUB_TOKEN",
        "REDIS_URL",
        "APP_SECRET",
        "SENTRY_DSN",
        "STRIPE_KEY",
        "MY_PASSPHRASE",
        "SESSION_COOKIE",
    ]
    ordinary = [
        "PATH",
        "HOME",
        "PWD",
        "OLDPWD",
        "LANG",
        "TERM",
        "KEYBOARD",
        "TOKENIZERS_PARALLELISM",
    ]
    assert [n for n in secret if not is_secret_var(n)] == []
    assert [n for n in ordinary if is_secret_var(n)] == []


def test_environment_values_are_scrubbed_as_exact_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASS", "plain words here")
    monkeypatch.setenv("MYSQL_PWD", "hunter2hunter")
    monkeypatch.setenv("REDIS_URL", "redis://:c4che-pw-77@cache:6379/0")
    monkeypatch.setenv("VENDOR", "sk_live_" + "a1B2c3D4e5" * 3)  # ordinary name, value a rule knows
    monkeypatch.setenv("SHORT_TOKEN", "abc123")  # under MIN_ENV_VALUE characters: left alone
    out = redact("pw=plain words here mysql hunter2hunter c4che-pw-77 a1B2c3D4e5 abc123")
    assert out == ("pw=[redacted:env:DB_PASS] mysql [redacted:env:MYSQL_PWD] [redacted:env:REDIS_URL] "
                   "a1B2c3D4e5 abc123")  # fmt: skip
    assert dict(env_needles({"X_TOKEN": "abc12345", "PATH": "/usr/bin"})) == {
        b"abc12345": b"[redacted:env:X_TOKEN]"
    }


def test_every_kind_is_covered_by_a_case() -> None:
    project = {kind for kind, _, _ in (*secret_rules.FIRST_SPECS, *secret_rules.LAST_SPECS)}
    covered = {kind for _, kind in CASES} | {
        e.split("[redacted:")[1].split("]")[0] for _, e in MISSED + CAUGHT
    }
    assert (
        project - covered - {"bearer-token", "assigned-secret", "key-block-body", "split-key"}
        == set()
    )
    assert project <= set(redaction_kinds())
