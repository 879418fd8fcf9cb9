"""The release checks at their command line: one version everywhere
(scripts/check-version), ``silcrow --version``, and the changelog section a
release writes (scripts/changelog)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import silcrow

ROOT = Path(__file__).resolve().parents[2]
VERSION_FILES = (
    "server/silcrow/__init__.py",
    "editor-client/vscode/package.json",
    "editor-client/vscode/package-lock.json",
    "editor-client/nvim/lua/silcrow/version.lua",
)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the files that state the version."""
    for name in VERSION_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_repository_states_one_version() -> None:
    done = run(ROOT / "scripts/check-version", "--print")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == silcrow.__version__


def test_a_client_with_another_version_fails_the_check_and_is_named(tree: Path) -> None:
    package = tree / "editor-client/vscode/package.json"
    data = json.loads(package.read_text())
    data["version"] = "9.9.9"
    package.write_text(json.dumps(data))
    done = run(ROOT / "scripts/check-version", "--root", tree)
    assert done.returncode == 1
    assert "editor-client/vscode/package.json" in done.stderr
    assert "package-lock.json" not in done.stderr


def test_a_plugin_version_file_without_a_version_is_an_error_that_says_what_is_expected(
    tree: Path,
) -> None:
    (tree / "editor-client/nvim/lua/silcrow/version.lua").write_text("return nil\n")
    done = run(ROOT / "scripts/check-version", "--root", tree)
    assert done.returncode == 2
    assert 'expected a line `return "<version>"`' in done.stderr


def test_silcrow_version_prints_the_package_version() -> None:
    done = run("-m", "silcrow", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"silcrow {silcrow.__version__}"


CHANGELOG = """# Changelog

Intro.

## Unreleased

### Added

- A thing.

## 0.0.9 - 2026-01-01

- Older.
"""


def test_a_release_moves_the_unreleased_entries_under_the_version(tmp_path: Path) -> None:
    log = tmp_path / "CHANGELOG.md"
    log.write_text(CHANGELOG)
    done = run(ROOT / "scripts/changelog", "0.1.0", "--date", "2026-12-03", "--file", log)
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert "## Unreleased\n\n## 0.1.0 - 2026-12-03\n\n### Added\n\n- A thing.\n\n## 0.0.9" in text
    again = run(ROOT / "scripts/changelog", "0.1.0", "--file", log)
    assert again.returncode == 1
    assert "already has a section for 0.1.0; raise the version" in again.stderr


def test_a_release_with_no_entries_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "CHANGELOG.md"
    log.write_text("# Changelog\n\n## Unreleased\n\n## 0.0.9 - 2026-01-01\n\n- Older.\n")
    before = log.read_text()
    done = run(ROOT / "scripts/changelog", "0.1.0", "--file", log)
    assert done.returncode == 1
    assert "has no entries" in done.stderr
    assert log.read_text() == before
