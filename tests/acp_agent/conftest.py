"""Fixtures for the ``silcrow acp`` tests: a workspace and a database per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("print('on disk')\n")
    return root


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "silcrow.db"
