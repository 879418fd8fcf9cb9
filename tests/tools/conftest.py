"""Fixtures: a workspace root beside things it must never reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from tools_helpers import Layout, make_layout

from silcrow.tools.base import Tool
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import default_tools


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return make_layout(tmp_path)


@pytest.fixture
def ws(layout: Layout) -> LocalWorkspace:
    return LocalWorkspace(layout.root)


@pytest.fixture
def tools(ws: LocalWorkspace) -> dict[str, Tool]:
    return {t.name: t for t in default_tools(ws)}
