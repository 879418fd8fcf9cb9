"""Real MCP servers for the tests: the SDK-written one beside this file, and the published
``mcp-server-time`` (PyPI, installed by the test set-up from pyproject's ``test`` extra)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

SDK_SERVER = Path(__file__).parent / "sdk_server.py"


def sdk_server(*extra: str) -> dict[str, Any]:
    """The common-shape definition of the SDK test server."""
    return {"command": sys.executable, "args": [str(SDK_SERVER), *extra]}


def time_server() -> dict[str, Any]:
    """``mcp-server-time`` from PyPI, run with this interpreter."""
    return {"command": sys.executable, "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"]}


@pytest.fixture(autouse=True)
def patient_first_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn waits 10 s for servers; a Python server under CI load can need more."""
    monkeypatch.setenv("SILCROW_MCP_READY_WAIT", "120")
