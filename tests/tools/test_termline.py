"""The command line an editor's terminal runs, and the text taken back from the terminal."""

from __future__ import annotations

import subprocess
from pathlib import Path

from silcrow.lsp.terminal import PlainText
from silcrow.tools.termline import terminal_line


def test_the_line_runs_in_the_root_with_only_the_allowlisted_environment(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "NPM_TOKEN": "daemon-side"}
    command = 'echo "$PWD|$LANG|$NPM_TOKEN|$OTHER|it\'s"'
    line = terminal_line(command, cwd=tmp_path, env=env, sandbox=None)
    assert "daemon-side" not in line  # a credential is referenced, never written out
    terminal_env = {"PATH": "/usr/bin:/bin", "NPM_TOKEN": "terminal-side", "OTHER": "x"}
    out = subprocess.run(
        ["bash", "-c", line], env=terminal_env, cwd="/", capture_output=True, text=True, check=True
    ).stdout
    assert out == f"{tmp_path}|C.UTF-8|terminal-side||it's\n"


def test_escape_sequences_are_removed_even_when_split_between_pieces() -> None:
    plain = PlainText()
    assert plain.feed("a\x1b[3") == "a"
    assert plain.feed("1mred\x1b[0m\r\n\x1b]633;D;0\x07") == "red\n"
    assert plain.feed("\x1b]0;title") == ""
    assert plain.feed("\x1b\\done\n") == "done\n"
    assert plain.feed("tail\x1b", final=True) == "tail\x1b"
