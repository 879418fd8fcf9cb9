"""Fixtures for the daemon's end-to-end tests (helpers live in lsp_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_harness import Daemon, start_daemon, stop_daemon


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("print('hi')\n")
    return root


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "silcrow.db"


@pytest_asyncio.fixture
async def make_daemon(workspace: Path, db: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[Daemon] = []

    async def make(**kwargs: Any) -> Daemon:
        kwargs.setdefault("db", db)
        root = kwargs.pop("root", workspace)
        daemon = await start_daemon(root, **kwargs)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        if not daemon.client._stop_event.is_set():
            await stop_daemon(daemon)
