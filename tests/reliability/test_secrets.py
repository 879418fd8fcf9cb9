"""Secrets: seeded tokens never reach the store, a provider request or a shell child (issue 8, part 6).

Fake tokens of every format Silcrow redacts (OpenAI, Anthropic, GitHub
classic and fine-grained, AWS key id, secret key and session token, Slack
bot token and webhook, Stripe secret and restricted keys, Google, GitLab,
Hugging Face, npm, JWT, a private key block, a password in a database URL;
and, from issue 13, a PGP private key in ``keys/signing.asc``, PHP
``define('DB_PASSWORD', ...)``, Docker ``"auth"``, ``Authorization: Basic``,
Azure ``AccountKey``, SendGrid, a Discord webhook, a pgpass line, YAML
``passphrase:``, a key split over two lines, and ``DB_PASS``, ``MYSQL_PWD``,
``REDIS_URL`` with a password in the environment) are seeded in three
places, each with its own tokens:

a. workspace files: ``.env``, ``.aws/credentials``, a YAML config, source
   with hard-coded keys, a certificate folder, notes;
b. tool output: the scripted model reads, finds, edits and ``cat``s those
   files, echoes environment variables, dumps ``env`` and reads its parent's
   ``/proc/$PPID/environ``;
c. the environment of the agent (in process) or the daemon (a subprocess),
   including names the name rule alone would miss (``STRIPE_KEY``,
   ``PRIVATE_KEY``, ``SESSION_JWT``).

Then every place is scanned for the random part of every token: each cell of
each table of the store and the raw bytes of the database, its WAL and
shared-memory file (while the daemon runs and after it stopped), every
request body and header the fake provider received, every event the editor
received, and ``env-dump.txt`` (the shell child's ``env``, written inside
the workspace). Leaks must be 0. Controls make the scan able to fail: the
needles are found in the seeded files themselves, the reads returned
``[redacted:...]`` markers, and the dump holds the child's ``PATH``.
"""

from __future__ import annotations

import json
import random
import string
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reliability.exposure import (
    describe,
    needles_in_files,
    needles_in_store,
    needles_in_text,
    run_turns,
    store_files,
)
from reliability.knobs import record, runs
from silcrow.store import EventStore
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.policy import PermissionPolicy
from silcrow.tools.process import scrubbed_env
from silcrow.tools.registry import default_tools

ALNUM = string.ascii_letters + string.digits
KEY_FILE = "certs/deploy.txt"
SIGNING_FILE = "keys/signing.asc"  # a PGP private key under a name no rule calls secret
SPLIT_FILE = "src/split.py"  # one key, two tokens, one marker
REFUSED = (".env", ".aws/credentials", KEY_FILE, SIGNING_FILE)
B64 = ALNUM + "+/"


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    needle: str  # the random part: what a scan looks for


class Mint:
    """Fake tokens in real formats; each has a random part no other token shares."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def r(self, n: int, alphabet: str = ALNUM) -> str:
        body = "".join(self.rng.choice(alphabet) for _ in range(n - 1))
        return body + self.rng.choice(string.digits)  # a digit, as real keys nearly always have

    def all(self) -> dict[str, Token]:
        r = self.r
        made = {
            "openai": ("sk-proj-", r(48)), "anthropic": ("sk-ant-api03-", r(40)),
            "github": ("ghp_", r(36)), "github_pat": ("github_pat_11A", r(60, ALNUM + "_")),
            "aws_id": ("AKIA", r(16, string.ascii_uppercase + string.digits)),
            "aws_secret": ("", r(40, B64)), "aws_session": ("FwoGZXIvYXdzE", r(120, B64)),
            "slack": ("xoxb-1234567890-", r(24)), "stripe": ("sk_live_", r(24)),
            "stripe_restricted": ("rk_live_", r(24)), "google": ("AIza", r(35)),
            "gitlab": ("glpat-", r(20)), "huggingface": ("hf_", r(34)), "npm": ("npm_", r(36)),
        }  # fmt: skip
        tokens = {k: Token(k, prefix + body, body) for k, (prefix, body) in made.items()}
        hook = r(24)
        tokens["slack_webhook"] = Token(
            "slack_webhook", f"https://hooks.slack.com/services/T0AB12CD3/B0AB12CD3/{hook}", hook
        )
        payload = r(40)
        tokens["jwt"] = Token("jwt", f"eyJhbGciOiJIUzI1NiJ9.eyJ{payload}.{r(43)}", payload)
        key = r(64, B64)
        pem = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{key}\n{r(64, B64)}\n-----END OPENSSH PRIVATE KEY-----"
        tokens["private_key"] = Token("private_key", pem, key)
        password = r(20)
        tokens["db_password"] = Token("db_password", password, password)
        tokens.update(self.outside_the_old_table())
        return tokens

    def outside_the_old_table(self) -> dict[str, Token]:
        """Formats the first redaction table missed (issue 13), and the environment's plain passwords."""
        r, tokens = self.r, {}
        body = r(64, B64)
        tokens["pgp"] = Token(
            "pgp",
            f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{body}\n{r(64, B64)}\n=Ab1c\n"
            "-----END PGP PRIVATE KEY BLOCK-----",
            body,
        )
        made = {
            "php": ("define('DB_PASSWORD', '{}');", r(20)), "docker_auth": ('{{"auths": {{"r.io": {{"auth": "{}"}}}}}}', r(40, B64)),
            "basic": ('curl -H "Authorization: Basic {}" https://api.example.com', r(32, B64)),
            "azure": ("DefaultEndpointsProtocol=https;AccountName=app;AccountKey={}==;EndpointSuffix=core.windows.net", r(86, B64)),
            "sendgrid": ("SG.{}", f"{r(22)}.{r(43)}"),
            "discord": ("https://discord.com/api/webhooks/123456789012345678/{}", r(68, ALNUM + "_-")),
            "pgpass": ("db.internal:5432:app:app:{}", r(20)), "passphrase": ("passphrase: {}", f"{r(9)} {r(9)} {r(9)}"),
            "split_head": ('KEY = ("sk-proj-{}"', r(12)), "split_tail": ('       "{}")', r(36, ALNUM + "_-")),
            "db_pass": ("{}", r(16)), "mysql_pwd": ("{}", r(16)), "redis_pw": ("redis://:{}@cache:6379/0", r(16)),
        }  # fmt: skip
        for kind, (template, needle) in made.items():
            tokens[kind] = Token(kind, template.format(needle), needle)
        return tokens


def seed_files(root: Path, t: dict[str, Token]) -> dict[str, list[Token]]:
    """(a) The workspace's files, and which tokens each holds."""
    files = {
        ".env": (f"OPENAI_API_KEY={t['openai'].value}\nSTRIPE_SECRET_KEY={t['stripe'].value}\n"
                 f"DATABASE_URL=postgres://app:{t['db_password'].value}@db:5432/app\n",
                 ["openai", "stripe", "db_password"]),
        ".aws/credentials": (f"[default]\naws_session_token = {t['aws_session'].value}\n", ["aws_session"]),
        "config/settings.yaml": (f"aws_access_key_id: {t['aws_id'].value}\n"
                                 f"aws_secret_access_key: {t['aws_secret'].value}\n"
                                 f"slack_token: {t['slack'].value}\nalerts: {t['slack_webhook'].value}\n",
                                 ["aws_id", "aws_secret", "slack", "slack_webhook"]),
        "src/client.py": (f'API_KEY = "{t["anthropic"].value}"\nGITHUB = "{t["github_pat"].value}"\n'
                          f'SESSION = "{t["jwt"].value}"\n\n\ndef token():\n    return API_KEY\n',
                          ["anthropic", "github_pat", "jwt"]),
        "certs/deploy.txt": (t["private_key"].value + "\n", ["private_key"]),
        "notes.md": (f"gitlab {t['gitlab'].value}\nhf {t['huggingface'].value}\nnpm {t['npm'].value}\n"
                     f"google {t['google'].value}\nrestricted {t['stripe_restricted'].value}\n"
                     f"ci {t['github'].value}\nmail {t['sendgrid'].value}\nalerts {t['discord'].value}\n",
                     ["gitlab", "huggingface", "npm", "google", "stripe_restricted", "github", "sendgrid", "discord"]),
        SIGNING_FILE: (t["pgp"].value + "\n", ["pgp"]),
        "config/wp-config.php": (f"<?php\n{t['php'].value}\n", ["php"]),
        "deploy/registry.json": (t["docker_auth"].value + "\n", ["docker_auth"]),
        "scripts/fetch.sh": (t["basic"].value + "\n", ["basic"]),
        "config/storage.ini": (f"[storage]\nconnection = {t['azure'].value}\n", ["azure"]),
        "ops/pgpass": (t["pgpass"].value + "\n", ["pgpass"]),
        "config/gpg.yaml": (f"gpg:\n  {t['passphrase'].value}\n", ["passphrase"]),
        SPLIT_FILE: (f"{t['split_head'].value}\n{t['split_tail'].value}\n", ["split_head", "split_tail"]),
    }  # fmt: skip
    held = {}
    for name, (text, kinds) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        held[name] = [t[k] for k in kinds]
    return held


def seed_env(t: dict[str, Token]) -> dict[str, str]:
    """(c) The agent's or daemon's environment: vendor names and names the name rule misses."""
    return {
        "OPENAI_API_KEY": t["openai"].value, "ANTHROPIC_API_KEY": t["anthropic"].value,
        "AWS_ACCESS_KEY_ID": t["aws_id"].value, "AWS_SECRET_ACCESS_KEY": t["aws_secret"].value,
        "AWS_SESSION_TOKEN": t["aws_session"].value, "GITHUB_TOKEN": t["github"].value,
        "GH_ENTERPRISE_PAT": t["github_pat"].value, "SLACK_BOT_TOKEN": t["slack"].value,
        "ALERTS_HOOK": t["slack_webhook"].value, "STRIPE_KEY": t["stripe"].value,
        "STRIPE_RESTRICTED": t["stripe_restricted"].value, "PRIVATE_KEY": t["private_key"].value,
        "SESSION_JWT": t["jwt"].value, "HF_TOKEN": t["huggingface"].value, "NPM_TOKEN": t["npm"].value,
        "GITLAB_PAT": t["gitlab"].value, "GOOGLE_API_KEY": t["google"].value,
        "DATABASE_URL": f"postgres://app:{t['db_password'].value}@db/app",
        "DB_PASS": t["db_pass"].value, "MYSQL_PWD": t["mysql_pwd"].value, "REDIS_URL": t["redis_pw"].value,
    }  # fmt: skip


def call(name: str, **args: Any) -> str:
    return f"§call: {json.dumps({'name': name, 'args': args})}\n"


SHELL = [
    "cat .env .aws/credentials config/settings.yaml src/client.py certs/deploy.txt notes.md",
    f"cat {SIGNING_FILE} config/wp-config.php deploy/registry.json scripts/fetch.sh config/storage.ini ops/pgpass "
    f"config/gpg.yaml {SPLIT_FILE}",
    'echo "$OPENAI_API_KEY $AWS_SECRET_ACCESS_KEY $STRIPE_KEY $PRIVATE_KEY $SESSION_JWT $DATABASE_URL"',
    'echo "$DB_PASS $MYSQL_PWD $REDIS_URL"',
    "env", "env > env-dump.txt", "tr '\\0' '\\n' < /proc/$PPID/environ", "grep -rn 'sk-\\|_key' . || true",
]  # fmt: skip
# The grep looks for key-like names, not for base64: a shell command that prints a line of a
# key block's body without its header (grep, sed -n) cannot be recognised by any redactor.
# That limit is the user's to judge when approving the command; the file tools refuse such files.


def script(files: list[str]) -> list[str]:
    """(b) The model reads, searches, edits and cats everything, then dumps the environment."""
    reads = "".join(call("read", file=f) for f in files) + call(
        "read", file=KEY_FILE, start=2, end=2
    )
    finds = call(
        "find",
        text="sk|gh|AKIA|xox|eyJ|glpat|hf_|npm_|AIza|BEGIN|postgres|SG\\.|discord|Basic|Account"
        "|define|auth|5432|passphrase|KEY",
        regex=True,
    )
    edit = call("edit", file="src/client.py", start=6, end=6, new="def get_token():")
    shells = "".join(call("shell", command=c) for c in SHELL)
    return [reads + finds + edit + "§execute\n", shells + "§execute\n", "§respond: done\n§end\n"]


def markers(texts: list[str]) -> int:
    return sum(text.count("[redacted:") for text in texts)


@dataclass
class Scan:
    """Where each needle was found, per place."""

    places: dict[str, Counter[str]]

    @property
    def leaks(self) -> int:
        return sum(sum(found.values()) for found in self.places.values())

    def report(self) -> dict[str, Any]:
        return {place: describe(found) for place, found in self.places.items() if found}


def check_controls(root: Path, held: dict[str, list[Token]], env_dump: Path) -> None:
    """The needles are really in the seeded files, and the child's env was really captured."""
    for name, tokens in held.items():
        assert needles_in_files([root / name], [t.needle for t in tokens]) == Counter(
            {t.needle: 1 for t in tokens}
        )
    assert "PATH=" in env_dump.read_text()


@dataclass
class Round:
    needles: int
    cells: int
    markers: int
    scan: Scan


async def agent_round(base: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> Round:
    """One agent run with fresh tokens (seeds 2n+1 for files, 2n+2 for the environment)."""
    root = base / f"ws{n}"
    root.mkdir()
    file_tokens, env_tokens = Mint(2 * n + 1).all(), Mint(2 * n + 2).all()
    held = seed_files(root, file_tokens)
    for name, value in seed_env(env_tokens).items():
        monkeypatch.setenv(name, value)
    needles = [t.needle for t in [*file_tokens.values(), *env_tokens.values()]]
    db = base / f"state{n}" / "silcrow.db"
    store = await EventStore.open(db)
    try:
        tools = default_tools(LocalWorkspace(root), store=store)
        done = await run_turns(
            store,
            tools,
            [script(list(held))],
            policy=PermissionPolicy.from_settings({"shell": "allow"}),
        )
        live_bytes = needles_in_files(store_files(db), needles)
    finally:
        await store.close()

    results = done.of("result")
    check_controls(root, held, root / "env-dump.txt")
    stored, cells = needles_in_store(db, needles)
    scan = Scan({
        "store_cells": stored, "db_bytes_live": live_bytes,
        "db_bytes_closed": needles_in_files(store_files(db), needles),
        "model_requests": needles_in_text(done.sent_to_model(), needles),
        "events_yielded": needles_in_text(json.dumps([e.to_json() for e in done.events]), needles),
        "child_env_dump": needles_in_files([root / "env-dump.txt"], needles),
    })  # fmt: skip
    assert done.stop_reasons == ["end"] and len(results) == len(held) + 3 + len(SHELL)
    # Every token in a readable file came back as a marker; the secret-named files and the
    # one holding a private key are refused, whole or by line range.
    readable = (
        sum(len(v) for k, v in held.items() if k not in REFUSED) - 1
    )  # the split key: one marker
    key_reads = [
        r
        for r in results
        if r.payload
        and r.payload.get("name") == "read"
        and (KEY_FILE in r.content or SIGNING_FILE in r.content)
    ]
    assert len(key_reads) == 3 and all("holds a private key" in r.content for r in key_reads)
    assert (
        markers([r.content for r in results if (r.payload or {}).get("name") == "read"]) == readable
    )
    assert all(not (r.payload or {}).get("error") for r in results[-len(SHELL) :])
    assert set(seed_env(env_tokens)) & set(scrubbed_env()) == set()
    return Round(len(needles), cells, markers([r.content for r in results]), scan)


async def test_seeded_secrets_reach_no_store_request_or_child_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds = [await agent_round(tmp_path, n, monkeypatch) for n in range(runs(1, 25))]
    leaks = sum(r.scan.leaks for r in rounds)
    record(
        "secrets/agent",
        rounds=len(rounds),
        tokens_seeded=sum(r.needles for r in rounds),
        places_scanned=len(rounds[0].scan.places),
        store_cells_scanned=sum(r.cells for r in rounds),
        redaction_markers=sum(r.markers for r in rounds),
        leaks=leaks,
        found=[r.scan.report() for r in rounds if r.scan.leaks],
    )
    assert len(rounds) == runs(1, 25)
    assert leaks == 0, [r.scan.report() for r in rounds]


@pytest.mark.parametrize("sandbox", ["on", "off"])
async def test_through_the_daemon_over_http_nothing_seeded_leaves(
    tmp_path: Path, sandbox: str
) -> None:
    """The daemon with its environment seeded, talking to the fake OpenAI server over HTTP.

    With the sandbox on, the shell's ``/proc/$PPID/environ`` is the sandbox's
    own allowlisted environment; with it off (no bubblewrap), it is the
    daemon's, and redaction is what stands between it and the store.
    """
    from fakes.http_server import FakeHTTPServer
    from lsp.lsp_harness import start_daemon, stop_daemon
    from silcrow.testing import Script

    root = tmp_path / "ws"
    root.mkdir()
    file_tokens, env_tokens = Mint(3).all(), Mint(4).all()
    held = seed_files(root, file_tokens)
    needles = [t.needle for t in [*file_tokens.values(), *env_tokens.values()]]
    db = tmp_path / "state" / "silcrow.db"
    async with FakeHTTPServer(Script.of(script(list(held)), chunk=64)) as http:
        settings = {
            "provider": "openai",
            "baseUrl": http.base_url("openai"),
            "model": "m",
            "mode": "replay",
            "apiKeyEnv": "FAKE_VENDOR_KEY",
            "permissions": {"shell": "allow"},
        }
        env = {**seed_env(env_tokens), "FAKE_VENDOR_KEY": "test-key"}
        if sandbox == "off":
            env["SILCROW_SANDBOX"] = "off"
        daemon = await start_daemon(root, db, settings=settings, env=env)
        try:
            result = await daemon.prompt("look around")
            live_bytes = needles_in_files(store_files(db), needles)
        finally:
            await stop_daemon(daemon)
        requests = list(http.requests)

    check_controls(root, held, root / "env-dump.txt")
    stored, cells = needles_in_store(db, needles)
    scan = Scan({
        "store_cells": stored, "db_bytes_live": live_bytes,
        "db_bytes_closed": needles_in_files(store_files(db), needles),
        "request_bodies": needles_in_text("".join(r.body.decode("utf-8", "replace") for r in requests), needles),
        "request_headers": needles_in_text(json.dumps([r.headers for r in requests]), needles),
        "editor_events": needles_in_text(json.dumps(daemon.events), needles),
        "child_env_dump": needles_in_files([root / "env-dump.txt"], needles),
    })  # fmt: skip
    results = [e for e in daemon.events if e["type"] == "result"]
    environ = next(
        e["content"] for e in results if "/proc/$PPID/environ" in e["payload"]["outcome"]
    )
    record(
        "secrets/daemon",
        tokens_seeded=len(needles),
        places_scanned=len(scan.places),
        provider_requests=len(requests),
        store_cells_scanned=cells,
        redaction_markers=markers([e["content"] for e in results]),
        leaks=scan.leaks,
        found=scan.report(),
    )
    assert result["stopReason"] == "end" and len(requests) == 3
    assert scan.leaks == 0, scan.report()
    if sandbox == "off":
        # The parent's environment was really read (and redacted), so the scan had something to find.
        assert "AWS_SECRET_ACCESS_KEY=[redacted:" in environ and "SILCROW_DB=" in environ
    else:
        # Inside the sandbox the parent is bubblewrap's init, holding only the allowlisted variables.
        assert (
            "PATH=" in environ
            and "SILCROW_DB=" not in environ
            and "AWS_SECRET_ACCESS_KEY" not in environ
        )
