"""``silcrow chat``: the terminal client against a real daemon."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from silcrow.chat.render import Renderer
from silcrow.chat.session import banner
from silcrow.providers.demo import CHAT_CLIENT, ProviderChoice, choose_provider, demo_script


def _chat(
    tmp_path: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``silcrow chat ARGV`` in ``tmp_path`` with stdin closed."""
    return subprocess.run(
        [sys.executable, "-m", "silcrow.cli", "chat", *argv],
        cwd=tmp_path,
        env=env or _env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SILCROW_") and not k.endswith(("_API_KEY",)) and k != "GOOGLE_API_KEY"
    }
    env["SILCROW_DB"] = str(tmp_path / "chat.db")
    return env


@pytest.mark.slow  # starts the terminal client and a daemon: about 5 s
def test_once_without_a_key_runs_the_labelled_offline_demo(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Widget factory\n")
    done = subprocess.run(
        [sys.executable, "-m", "silcrow.cli", "chat", "--once", "what is this?"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "OFFLINE DEMO" in out and "OPENAI_API_KEY" in out  # labelled, and says how to configure
    assert '→ read {"file": "README.md"' in out and "✓ Read README.md" in out
    assert out.index("→ read") < out.index("That was a real `read`")


def _name(requested: str | None, env: dict[str, str]) -> str | None:
    choice = choose_provider(requested, env=env)
    return None if choice.demo else choice.name


def test_provider_choice() -> None:
    assert _name(None, {}) is None
    assert _name("auto", {}) is None
    assert _name("fake", {}) is None  # the scripted fake without a script is the demo
    assert _name(None, {"ANTHROPIC_API_KEY": "k"}) == "anthropic"
    assert _name(None, {"GOOGLE_API_KEY": "k"}) == "gemini"
    assert _name(None, {"SILCROW_PROVIDER": "ollama", "OPENAI_API_KEY": "k"}) == "ollama"
    assert _name("openai", {"SILCROW_PROVIDER": "fake"}) is None  # the test switch wins
    scripted = choose_provider("fake", script={"replies": ["x"]}, env={"OPENAI_API_KEY": "k"})
    assert scripted.name == "fake" and not scripted.demo


def test_demo_without_files_still_answers(tmp_path: Path) -> None:
    script = demo_script(tmp_path)
    assert all("§call" not in reply for reply in script["replies"])
    assert "OFFLINE DEMO" in script["fallback"]


def test_demo_reads_a_well_known_file_else_the_first_visible_one(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SECRET=1\n")
    (tmp_path / "b.txt").write_text("b\n")
    (tmp_path / "a.txt").write_text("a\n")
    assert '"file": "a.txt"' in demo_script(tmp_path)["replies"][0]
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert '"file": "pyproject.toml"' in demo_script(tmp_path)["replies"][0]


def test_banner_labels_only_the_demo() -> None:
    demo = choose_provider(None, env={}, client=CHAT_CLIENT)
    assert "OFFLINE DEMO" in banner(demo) and "silcrow chat --provider" in banner(demo)
    openai = ProviderChoice("openai")
    assert "OFFLINE DEMO" not in banner(openai) and "(openai)" in banner(openai)


def test_renderer_escapes_daemon_text_and_keeps_its_own_colours() -> None:
    out = io.StringIO()
    render = Renderer(out, color=True)
    render.event({"type": "respond", "content": "hi\x1b[2J\x07"})
    render.event({"type": "error", "content": "bad\x1b]0;t\x07"})
    text = out.getvalue()
    assert "hi\\x1b[2J\\x07" in text and "bad\\x1b]0;t\\x07" in text
    assert text.count("\x1b") == 2  # only the red of the error and its reset


def test_renderer_dims_think_and_separates_blocks() -> None:
    out = io.StringIO()
    render = Renderer(out, color=True)
    for ev in (
        {"type": "think", "content": "hm"},
        {"type": "respond", "content": "A"},
        {"type": "respond", "content": "B"},
        {"type": "call", "content": "", "payload": {"name": "read", "args": {"file": "x"}}},
        {"type": "result", "content": "", "payload": {"outcome": "Read x", "error": False}},
        {"type": "end", "content": ""},
    ):
        render.event(ev)
    text = out.getvalue()
    assert "\x1b[2mhm\x1b[0m\nAB\n" in text and 'read {"file": "x"}' in text and "✓ Read x" in text


def test_a_missing_mcp_config_stops_chat_naming_the_file(tmp_path: Path) -> None:
    done = _chat(tmp_path, "--mcp-config", "nope.json", "--once", "x")
    assert done.returncode == 2
    assert "--mcp-config" in done.stderr and "nope.json" in done.stderr


@pytest.mark.slow  # the terminal client, a daemon and an MCP server from PyPI
def test_mcp_config_gives_chat_the_servers_tools(tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    time_server = {"command": sys.executable, "args": ["-m", "mcp_server_time"]}
    config.write_text(json.dumps({"mcpServers": {"time": time_server}}))
    call = {"name": "mcp__time__get_current_time", "args": {"timezone": "UTC"}}
    script = {"replies": [f"§call: {json.dumps(call)}\n§execute\n", "§respond: ok\n§end\n"]}
    env = {**_env(tmp_path), "SILCROW_FAKE_SCRIPT": json.dumps(script)}
    env["SILCROW_MCP_READY_WAIT"] = "120"  # the first turn waits for the server, however slow
    argv = ["--provider", "fake", "--mcp-config", str(config), "--yes", "--once", "time?"]
    done = _chat(tmp_path, *argv, env=env, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mcp__time__get_current_time" in done.stdout
    assert '"timezone": "UTC"' in done.stdout or "time: get_current_time" in done.stdout


def test_renderer_shows_daemon_notices_but_not_the_users_words() -> None:
    out = io.StringIO()
    render = Renderer(out, color=False)
    render.event({"type": "user", "content": "my question"})
    render.event({"type": "respond", "content": "half an answ"})
    note = "The reply was cut at the output token limit (openai said 'length')."
    render.event(
        {"type": "user", "content": note, "payload": {"notice": True, "stopReason": "length"}}
    )
    render.event({"type": "end", "content": ""})
    assert out.getvalue() == f"half an answ\n[{note}]\n\n"


def test_setting_words_speak_each_clients_language() -> None:
    from silcrow.providers.demo import setting_words

    assert (
        setting_words("Visual Studio Code", "mode", "replay")
        == 'the setting silcrow.mode to "replay"'
    )
    assert (
        setting_words("Neovim", "mode", "replay")
        == 'require("silcrow").setup({ settings = { mode = "replay" } })'
    )
    assert setting_words("silcrow-chat", "mode", "replay") == "--mode replay"
    assert setting_words("Eglot", "mode", "replay") == 'initializationOptions {"mode": "replay"}'
    assert setting_words(None, "mode", "replay") == 'initializationOptions {"mode": "replay"}'


def test_renderer_shows_live_output_dimmed_and_escaped() -> None:
    out = io.StringIO()
    render = Renderer(out, color=False)
    for ev in (
        {"type": "call", "content": "", "payload": {"name": "shell", "args": {"command": "x"}}},
        {"type": "output", "content": "one\n", "payload": {"name": "shell"}},
        {"type": "output", "content": "two\x1b[2J\n", "payload": {"name": "shell"}},
        {"type": "result", "content": "", "payload": {"outcome": "`x` exited 0", "error": False}},
    ):
        render.event(ev)
    text = out.getvalue()
    assert "\none\ntwo\\x1b[2J\n" in text and "\x1b" not in text
    assert text.index("two") < text.index("✓ `x` exited 0")
