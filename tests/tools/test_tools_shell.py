"""Shell: exit codes, caps, timeouts, process-group kill, orphaned pipes, clean env."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tools_helpers import Layout

from silcrow.tools.base import CURRENT, Tool, ToolContext
from silcrow.tools.builtin.shell import ShellTool
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.process import group_running, scrubbed_env
from silcrow.tools.sandbox import Sandbox, probe
from support.proc import marked


async def wait_group_gone(pgid: int, within: float = 10.0) -> None:
    """Poll until no process of the group exists (init reaps orphans on its own time)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while loop.time() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"process group {pgid} still exists")


async def test_exit_code_cwd_and_combined_output(layout: Layout, tools: dict[str, Tool]) -> None:
    result = await tools["shell"].execute(command="pwd; echo err >&2; exit 3")
    assert "exited 3" in result.outcome and not result.error
    assert (
        str(layout.root) in result.content
        and "err" in result.content
        and "[exit code 3]" in result.content
    )


async def test_stdin_is_closed(tools: dict[str, Tool]) -> None:
    result = await asyncio.wait_for(tools["shell"].execute(command="cat; echo done"), 10)
    assert "done" in result.content


async def test_output_is_capped_head_and_tail(layout: Layout) -> None:
    ws = LocalWorkspace(layout.root, shell_output_limit=1000)
    outcome = await ws.run("echo FIRST; seq 1 100000; echo LAST", timeout=20)
    assert outcome.truncated and outcome.exit_code == 0
    assert outcome.output.startswith("FIRST") and outcome.output.rstrip().endswith("LAST")
    assert "bytes of output omitted" in outcome.output and len(outcome.output) < 1200


async def test_timeout_kills_and_reports(ws: LocalWorkspace) -> None:
    tool = ShellTool(ws, default_timeout=0.3)
    result = await tool.execute(command="echo $$ > pg.txt; sleep 30 & sleep 30")
    assert result.error and "timed out" in result.outcome and "[killed]" in result.content
    pgid = int((ws.root / "pg.txt").read_text())
    assert not group_running(pgid)


async def test_timeout_is_clamped_to_maximum(ws: LocalWorkspace) -> None:
    result = await ShellTool(ws, max_timeout=5).execute(command="true", timeout=999)
    assert "lowered to the 5s maximum" in result.outcome
    assert (await ShellTool(ws).execute(command="true", timeout=-1)).error
    assert (await ShellTool(ws).execute(command="  ")).error


@pytest.mark.slow  # waits for a process group to die
async def test_cancel_kills_the_whole_group(ws: LocalWorkspace) -> None:
    task = asyncio.create_task(ws.run("echo $$ > pg.txt; sleep 30 & sleep 30", timeout=60))
    pg_file = ws.root / "pg.txt"
    while not pg_file.exists() or not pg_file.read_text().strip():  # noqa: ASYNC110 - a file appearing has no event
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pgid = int(pg_file.read_text())
    assert not group_running(pgid)  # only zombies (if any) are left for init to reap
    await wait_group_gone(pgid)


async def test_grandchild_holding_the_pipe_does_not_block(ws: LocalWorkspace) -> None:
    command = "echo $$ > pg.txt; echo started; (sleep 30) & echo $! > child.txt"
    outcome = await asyncio.wait_for(ws.run(command, timeout=60), 10)
    assert outcome.exit_code == 0 and "started" in outcome.output
    assert (ws.root / "child.txt").read_text().strip().isdigit()
    assert not group_running(
        int((ws.root / "pg.txt").read_text())
    )  # the orphan went with its group


async def test_child_environment_has_no_secrets(
    ws: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-should-not-leak")
    monkeypatch.setenv("DB_PASSWORD", "pw-should-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-should-not-leak")
    monkeypatch.setenv("GITHUB_TOKEN", "gh-should-not-leak")
    monkeypatch.setenv("HARMLESS_SETTING", "not-allowlisted")
    monkeypatch.setenv("NAMED_BY_USER", "kept")
    ws.shell_env = ("NAMED_BY_USER",)
    outcome = await ws.run("env", timeout=10)
    assert "should-not-leak" not in outcome.output and "not-allowlisted" not in outcome.output
    assert "NAMED_BY_USER=kept" in outcome.output and "PATH=" in outcome.output
    assert f"PWD={ws.root}" in outcome.output


def test_scrubbed_env_is_an_allowlist() -> None:
    env = scrubbed_env({
        "PATH": "/bin", "HOME": "/h", "LANG": "C", "LC_ALL": "C", "OPENAI_API_KEY": "x", "NPM_TOKEN": "y",
        "SSH_AUTH_SOCK": "/s", "DB_PASS": "p", "MYSQL_PWD": "p", "REDIS_URL": "redis://:pw@h", "EDITOR": "vi",
    })  # fmt: skip
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C", "LC_ALL": "C"}
    assert scrubbed_env({"JAVA_HOME": "/j", "X": "y"}, extra=["JAVA_HOME"]) == {"JAVA_HOME": "/j"}


# -- in the bubblewrap sandbox -------------------------------------------------------
SANDBOX = probe().sandbox
needs_sandbox = pytest.mark.skipif(SANDBOX is None, reason=f"no sandbox here: {probe().reason}")


@pytest.fixture
def boxed(layout: Layout) -> LocalWorkspace:
    return LocalWorkspace(layout.root, sandbox=SANDBOX, shell_output_limit=1000)


@needs_sandbox
async def test_sandbox_keeps_exit_code_caps_and_streaming(boxed: LocalWorkspace) -> None:
    seen: list[str] = []

    async def sink(text: str) -> None:
        seen.append(text)

    outcome = await boxed.run(
        "echo FIRST; seq 1 100000; echo LAST; exit 7", timeout=20, on_output=sink
    )
    assert outcome.exit_code == 7 and outcome.truncated
    assert outcome.output.startswith("FIRST") and outcome.output.rstrip().endswith("LAST")
    assert "".join(seen).endswith("LAST\n")


@pytest.mark.slow  # runs bubblewrap and waits for its processes to die
@needs_sandbox
@pytest.mark.parametrize("end", ["timeout", "cancel"])
async def test_sandbox_timeout_and_cancel_kill_every_process(
    boxed: LocalWorkspace, end: str
) -> None:
    mark = f"600.{os.getpid()}{id(boxed) % 100000}"
    command = f"setsid sleep {mark}1 & (sleep {mark}2 &) ; trap '' TERM; touch up; sleep {mark}3"
    task = asyncio.create_task(boxed.run(command, timeout=0.5 if end == "timeout" else 60))
    while len(marked(mark)) < 3 and not task.done():  # noqa: ASYNC110 - processes appearing have no event
        await asyncio.sleep(0.01)
    if end == "cancel":
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        assert (await task).timed_out
    assert marked(mark) == []


@needs_sandbox
async def test_a_missing_bubblewrap_fails_the_command_never_runs_it_bare(layout: Layout) -> None:
    broken = LocalWorkspace(
        layout.root, sandbox=replace(SANDBOX, bwrap=str(layout.root / "no-bwrap"))
    )  # type: ignore[arg-type]
    with pytest.raises(OSError):
        await broken.run("true", timeout=5)


async def test_output_streams_to_context_sink(ws: LocalWorkspace) -> None:
    seen: list[str] = []

    async def sink(text: str) -> None:
        seen.append(text)

    token = CURRENT.set(ToolContext(extra={"on_output": sink}))
    try:
        await ShellTool(ws).execute(command="echo one; echo two")
    finally:
        CURRENT.reset(token)
    assert "".join(seen) == "one\ntwo\n"


async def test_shell_runs_in_root_even_with_relative_root(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layout.base)
    ws = LocalWorkspace(Path("repo"))
    assert ws.root == layout.root.resolve()
    assert (await ws.run("pwd", timeout=5)).output.strip() == str(layout.root.resolve())


@pytest.mark.parametrize(
    ("env", "platform", "why"),
    [
        ({"SILCROW_SANDBOX": "off"}, "linux", "turned off (SILCROW_SANDBOX=off)"),
        ({"SILCROW_BWRAP": "/nonexistent/bwrap"}, "linux", "bubblewrap is not installed"),
        ({"SILCROW_BWRAP": "/bin/false"}, "linux", "cannot create a sandbox here"),
        ({}, "darwin", "no shell sandbox on darwin"),
    ],
)
def test_probe_says_why_there_is_no_sandbox(
    env: dict[str, str], platform: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    status = probe({"PATH": os.environ.get("PATH", ""), **env})
    assert status.sandbox is None and why in status.reason


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder outside /tmp (the sandbox's private /tmp would hide one there anyway)."""
    cache = Path.home() / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="silcrow-sandbox-test-", dir=cache))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@needs_sandbox
async def test_sandbox_hides_home_credentials_and_the_store(
    layout: Layout, outside_tmp: Path
) -> None:
    home, store = outside_tmp / "home", outside_tmp / "data" / "silcrow"
    for folder in (home / ".ssh", home / ".config" / "gh", store):
        folder.mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("SSH-SECRET\n")
    (home / ".netrc").write_text("machine h login u password NETRC-SECRET\n")
    (home / ".config" / "gh" / "hosts.yml").write_text("oauth_token: GH-SECRET\n")
    (store / "silcrow.db").write_text("STORE-SECRET\n")
    (home / "notes.txt").write_text("visible\n")
    sandbox = replace(SANDBOX, homes=(home,), store_files=(store / "silcrow.db",))  # type: ignore[arg-type]
    ws = LocalWorkspace(layout.root, sandbox=sandbox)
    outcome = await ws.run(
        f"cd {home}; cat .ssh/id_ed25519 .netrc .config/gh/hosts.yml {store}/silcrow.db notes.txt; "
        f"echo x > .ssh/planted; ls -a .ssh",
        timeout=10,
    )
    assert "SECRET" not in outcome.output and "visible" in outcome.output
    assert not (home / ".ssh" / "planted").exists()


def git(*args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=a@b.c", "-c", "user.name=n", *args],
                          check=True, capture_output=True, text=True)  # fmt: skip
    return done.stdout


@pytest.fixture
def worktree(tmp_path: Path) -> tuple[Path, Path]:
    """A repository ``main`` and a worktree ``tree`` of it (``tree/.git`` is a ``gitdir:`` file)."""
    main, tree = tmp_path / "main", tmp_path / "tree"
    git("init", "-q", str(main))
    git("-C", str(main), "commit", "-q", "--allow-empty", "-m", "root")
    git("-C", str(main), "worktree", "add", "-q", str(tree))
    return main, tree


@needs_sandbox
async def test_sandbox_lets_git_commit_in_a_worktree_but_not_plant_hooks(
    worktree: tuple[Path, Path],
) -> None:
    main, tree = worktree
    hooks = main / ".git" / "hooks"
    outcome = await LocalWorkspace(tree, sandbox=SANDBOX).run(
        "echo hi > f && git add f && git -c user.email=a@b.c -c user.name=n commit -qm from-sandbox; "
        f"echo owned > {hooks}/pre-commit; echo owned >> {main}/.git/config",
        timeout=20,
    )
    log = await asyncio.to_thread(git, "-C", str(main), "log", "--all", "--format=%s")
    assert "from-sandbox" in log, outcome.output
    assert (
        not (hooks / "pre-commit").exists()
        and "owned" not in (main / ".git" / "config").read_text()
    )


def test_sandbox_argv_turns_the_network_off_unless_allowed(layout: Layout) -> None:
    sandbox = Sandbox(bwrap="bwrap")
    assert "--unshare-net" in sandbox.argv("true", layout.root, 3)
    assert "--unshare-net" not in replace(sandbox, network=True).argv("true", layout.root, 3)
    argv = sandbox.argv("true", layout.root, 3)
    assert (
        argv[-4:] == ["--", "/bin/sh", "-c", "true"]
        and "--cap-drop" in argv
        and "--die-with-parent" in argv
    )


def test_the_shells_path_has_no_relative_entries() -> None:
    from silcrow.tools.process import scrubbed_env

    env = scrubbed_env({"PATH": ".:/usr/bin::bin:node_modules/.bin:/bin", "HOME": "/h"})
    assert env["PATH"] == "/usr/bin:/bin"
