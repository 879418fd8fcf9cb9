"""Redaction of each known credential format, and leaving ordinary text alone."""

from __future__ import annotations

import pytest

from silcrow.tools.redact import redact, redaction_kinds

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
    ("https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx", "slack-webhook"),
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
    out = redact("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\npassword: 'Tr0ub4dor&3'")
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


def test_every_kind_is_covered_by_a_case() -> None:
    assert set(redaction_kinds()) == {kind for _, kind in CASES} | {"bearer-token", "assigned-secret", "url-password"}
