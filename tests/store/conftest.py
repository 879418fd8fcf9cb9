"""Fixtures for the event store tests: a fresh on-disk store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from silcrow.store import EventStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "silcrow.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[EventStore]:
    opened = await EventStore.open(db_path)
    try:
        yield opened
    finally:
        await opened.close()
