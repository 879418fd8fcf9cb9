"""The shell sandbox, attacked through the daemon (issue 13: "An OS sandbox", item 7).

Each test starts ``silcrow serve`` (stdio, scripted model, ``permissions.shell
= "allow"``) and has the model run shell commands that try to escape:

* write outside the workspace, into ``.git/hooks`` and ``.vscode`` (the
  host's files must stay unchanged; a write inside and ``git commit`` work);
* read credentials from ``$HOME`` (the fake home lies inside the workspace,
  which the sandbox shows, so only the credential hiding can stop the read;
  a home under ``/tmp`` would be hidden by the private ``/tmp`` already);
* read the daemon's environment through ``/proc/$PPID/environ`` and ``env``;
* reach a loopback listener of the test (refused unless ``network`` is
  "allow", reached when it is);
* leave processes behind with ``setsid``, ``nohup ... &`` and a double fork
  (each ``sleep`` gets a unique fractional duration as its marker, found by
  scanning ``/proc/*/cmdline``), after the command ends and after the daemon
  exits (closed stdin, and SIGKILL);
* with the sandbox forced off (``SILCROW_SANDBOX=off``), one start-up notice
  and no "allow always" for commands.

Where bubblewrap cannot run the sandboxed tests are skipped, unless
``SILCROW_REQUIRE_SANDBOX`` is set (CI): then the module fails to load.

Every attack here succeeds against a daemon without the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reliability.knobs import record
from reliability.procs import ANSWERS, RawDaemon
from silcrow.tools.sandbox import probe
from support.proc import marked

STATUS = probe()
if STATUS.sandbox is None and os.environ.get("SILCROW_REQUIRE_SANDBOX"):
    raise RuntimeError(f"SILCROW_REQUIRE_SANDBOX is set but there is no sandbox: {STATUS.reason}")
needs_sandbox = pytest.mark.skipif(
    STATUS.sandbox is None, reason=f"no sandbox here: {STATUS.reason}"
)

ALLOW = {"permissions": {"shell": "allow"}}
DONE = "§respond: done\n§end\n"


def shell_call(command: str) -> str:
    return f"§call: {json.dumps({'name': 'shell', 'args': {'command': command}})}\n§execute\n"


@dataclass
class Site:
    root: Path
    home: Path
    outside: Path
    db: Path
    mark: str

    @classmethod
    def make(cls, tmp: Path, outside: Path) -> Site:
        root = tmp / "ws"
        home = root / "home"
        for d in (root / ".vscode", home / ".ssh", home / ".aws"):
            d.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        (root / "README").write_text("hello\n")
        mark = secrets.token_hex(8)
        (home / ".ssh" / "id_rsa").write_text(f"SSH-KEY-{mark}\n")
        (home / ".aws" / "credentials").write_text(
            f"[default]\naws_secret_access_key = AWS-{mark}\n"
        )
        return cls(root, home, outside, tmp / "state" / "silcrow.db", mark)


async def run_commands(
    site: Site,
    commands: list[str],
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    answer: Callable[[str, Any], Any] | None = None,
) -> tuple[list[str], RawDaemon]:
    """One prompt per command; the shell tool's result text of each, and the closed daemon."""
    replies = [r for c in commands for r in (shell_call(c), DONE)]
    daemon = await RawDaemon.spawn(
        site.db, env={"HOME": str(site.home), **(env or {})}, cwd=site.root
    )
    if answer is not None:
        daemon.answer_server_request = answer
    try:
        await daemon.initialize(
            [site.root], {**(settings or ALLOW), "fakeScript": {"replies": replies, "chunk": 4096}}
        )
        for n, _ in enumerate(commands):
            result = await daemon.request("silcrow/prompt", {"text": f"step {n}"})
            assert result["stopReason"] == "end", result
        await daemon.close()
    finally:
        daemon.kill()
    outputs = [str(e.get("content", "")) for e in daemon.events if e["type"] == "result"]
    assert len(outputs) == len(commands), outputs
    return outputs, daemon


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    # Outside /tmp: the sandbox's private /tmp would swallow a write there whatever else held.
    cache = Path.home() / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    outside = Path(tempfile.mkdtemp(prefix="silcrow-sandbox-test-", dir=cache))
    made = Site.make(tmp_path, outside)
    try:
        yield made
    finally:
        shutil.rmtree(outside, ignore_errors=True)
        for pid in marked(made.mark):  # a failed test must not leave its sleepers behind
            os.kill(pid, signal.SIGKILL)


def sleeper(site: Site, n: int) -> str:
    """A ``sleep`` whose argument is unique to this test: ``500.<mark digits><n>``."""
    digits = str(int(site.mark, 16))[:12]
    return f"sleep 500.{digits}{n}"


@needs_sandbox
async def test_writes_land_only_in_the_workspace_outside_protected_paths(site: Site) -> None:
    hook, settings = (
        site.root / ".git" / "hooks" / "pre-commit",
        site.root / ".vscode" / "settings.json",
    )
    outputs, _ = await run_commands(
        site,
        [
            "echo inside > inside.txt && cat inside.txt",
            f"echo owned > {site.outside}/f; mkdir {site.outside}/d",
            f"printf '#!/bin/sh\\necho owned\\n' > {hook}; chmod +x {hook}; echo owned > {site.root}/.git/config",
            f'echo \'{{"silcrow.permissions": {{"shell": "allow"}}}}\' > {settings}',
            # root inside the sandbox: no capability to remount or to unmount in a new namespace
            f"mount -o remount,rw /; echo owned > {site.outside}/m; "
            f"unshare -m sh -c 'umount {hook.parent}; echo owned > {hook}'",
            "git add README && git -c user.email=a@b.c -c user.name=n commit -qm first && git log --format=%s",
            "mkdir .idea && echo '<project/>' > .idea/workspace.xml",
        ],
    )
    assert (site.root / "inside.txt").read_text() == "inside\n" and "inside" in outputs[0]
    assert list(site.outside.iterdir()) == [], outputs[1]
    assert not hook.exists() and "owned" not in (site.root / ".git" / "config").read_text()
    assert not settings.exists()
    assert "Read-only file system" in outputs[2] and "Read-only file system" in outputs[3]
    assert "first" in outputs[5]
    # A protected path that did not exist cannot be mounted read-only; its creation is reported.
    assert "[sandbox: this command created .idea" in outputs[6]


@needs_sandbox
async def test_a_protected_path_cannot_be_swapped_by_renaming_its_folder(site: Site) -> None:
    """``mv .git x && mkdir .git`` (or ``.github``) would trade the read-only hooks for fresh ones."""
    workflows = site.root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\n")
    outputs, _ = await run_commands(
        site,
        [
            "mv .git .git-old; mkdir -p .git/hooks && printf '#!/bin/sh\\necho owned\\n' > .git/hooks/pre-commit; "
            "printf '[core]\\n\\tpager = echo owned\\n' >> .git/config; ls .git",
            "mv .github .github-old; mkdir -p .github/workflows && echo owned > .github/workflows/evil.yml",
            "mv .vscode .vscode-old; mkdir .vscode && echo owned > .vscode/settings.json",
            "git status --short | head -3; echo status-ok",
        ],
    )
    assert (
        not (site.root / ".git-old").exists()
        and not (site.root / ".git" / "hooks" / "pre-commit").exists()
    )
    assert "owned" not in (site.root / ".git" / "config").read_text()
    assert sorted(p.name for p in workflows.iterdir()) == ["ci.yml"], outputs[1]
    assert (
        not (site.root / ".vscode" / "settings.json").exists()
        and not (site.root / ".vscode-old").exists()
    )
    assert all("busy" in out for out in outputs[:3]), outputs
    assert "status-ok" in outputs[3]


@needs_sandbox
async def test_credentials_in_home_are_hidden(site: Site) -> None:
    outputs, _ = await run_commands(
        site,
        [
            "cat ~/.ssh/id_rsa ~/.aws/credentials; ls -la ~/.ssh ~/.aws",
            f"cat {site.home}/.ssh/id_rsa; cat {site.db}",
        ],
    )
    assert not any(site.mark in o for o in outputs), outputs
    assert "SSH-KEY" not in "".join(outputs)


@needs_sandbox
async def test_the_daemons_environment_is_not_visible(site: Site) -> None:
    secret = f"daemon-only-{site.mark}"
    outputs, _ = await run_commands(
        site,
        [
            "cat /proc/$PPID/environ | tr '\\0' '\\n'; echo; cat /proc/1/environ | tr '\\0' '\\n'; echo; env",
            "env",
        ],
        settings={**ALLOW, "shellEnv": ["PROJECT_FLAG"]},
        env={
            "DAEMON_ONLY_VAR": secret,
            "DB_PASS": secret,
            "REDIS_URL": f"redis://:{secret}@h",
            "PROJECT_FLAG": "on",
        },
    )
    assert not any(site.mark in o for o in outputs), outputs
    assert "PROJECT_FLAG=on" in outputs[1] and "PATH=" in outputs[1]


@needs_sandbox
@pytest.mark.parametrize("network", ["ask", "allow"])
async def test_network_follows_the_network_permission(site: Site, network: str) -> None:
    reached: list[bool] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reached.append(True)
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    probe_code = (
        f"import socket; socket.create_connection(('127.0.0.1', {port}), 5); print('CONNECTED')"
    )
    try:
        outputs, _ = await run_commands(
            site,
            [f'{sys.executable} -c "{probe_code}"'],
            settings={"permissions": {"shell": "allow", "network": network}},
        )
    finally:
        server.close()
        await server.wait_closed()
    if network == "allow":
        assert "CONNECTED" in outputs[0] and reached
    else:
        assert "CONNECTED" not in outputs[0] and not reached, outputs


@needs_sandbox
async def test_background_jobs_end_with_their_command(site: Site) -> None:
    outputs, _ = await run_commands(
        site,
        [
            f"setsid {sleeper(site, 1)} & nohup {sleeper(site, 2)} >/dev/null 2>&1 & "
            f"( ( {sleeper(site, 3)} & ) & ); setsid sh -c '{sleeper(site, 4)} &'; echo started",
        ],
    )
    assert "started" in outputs[0]
    assert marked(str(int(site.mark, 16))[:12]) == []


@needs_sandbox
@pytest.mark.parametrize("how", ["stdin", "sigkill"])
async def test_nothing_survives_the_daemon(site: Site, how: str) -> None:
    digits = str(int(site.mark, 16))[:12]
    command = f"setsid {sleeper(site, 1)} & {sleeper(site, 2)} & wait"
    daemon = await RawDaemon.spawn(site.db, env={"HOME": str(site.home)}, cwd=site.root)
    try:
        await daemon.initialize(
            [site.root], {**ALLOW, "fakeScript": {"replies": [shell_call(command)], "chunk": 4096}}
        )
        prompt = asyncio.ensure_future(daemon.request("silcrow/prompt", {"text": "go"}))
        for _ in range(1500):
            if len(marked(digits)) >= 2:
                break
            await asyncio.sleep(0.02)
        assert len(marked(digits)) >= 2, "the command's sleepers never started"
        loop = asyncio.get_running_loop()
        start = loop.time()
        if how == "stdin":
            assert daemon.proc.stdin is not None
            daemon.proc.stdin.close()
        else:
            os.kill(
                daemon.pid, signal.SIGKILL
            )  # not RawDaemon.kill: that kills the children itself
        await daemon.wait()
        await asyncio.gather(prompt, return_exceptions=True)
        # The kernel ends a PID namespace with its init; allow it a moment to be reaped.
        for _ in range(250):
            if not marked(digits):
                break
            await asyncio.sleep(0.01)
        record("sandbox/daemon_exit", how=how, gone_ms=round((loop.time() - start) * 1000, 1))
        assert marked(digits) == []
    finally:
        daemon.kill()


def answering(title: str) -> Callable[[str, Any], Any]:
    def answer(method: str, params: Any) -> Any:
        return {"title": title} if method == "window/showMessageRequest" else ANSWERS.get(method)

    return answer


# The other reasons (no binary, a binary that fails, not Linux) are probe() unit tests.
FALLBACKS = {"off": ({"SILCROW_SANDBOX": "off"}, "SILCROW_SANDBOX=off")}


@pytest.mark.parametrize("sandbox", [pytest.param("on", marks=needs_sandbox), *FALLBACKS])
async def test_without_a_sandbox_one_notice_and_every_command_asked(
    site: Site, sandbox: str
) -> None:
    env, why = FALLBACKS.get(sandbox, ({}, ""))
    outputs, daemon = await run_commands(
        site,
        ["ls", "ls -a", "ls"],
        settings={"permissions": {"shell": "ask"}},
        env=env,
        answer=answering("Allow always"),
    )
    asked = [r for r in daemon.requests if r["method"] == "window/showMessageRequest"]
    notices = [m for m in daemon.texts("window/showMessage") if "without a sandbox" in m]
    if sandbox != "on":
        assert len(asked) == 3 and len(notices) == 1, (asked, notices)
        assert why in notices[0]
        assert daemon.stderr.decode().count("without a sandbox") == 1
    else:
        assert len(asked) == 1 and notices == []
    assert all("README" in o for o in outputs)
