"""Fixtures of the drop-in tests: a small workspace, and one scripted turn on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dropin.cogency_side import layout
from dropin.kit import Run
from silcrow import (
    Agent,
    Event,
)
from silcrow.testing import FakeProvider, Script
from silcrow.tools.local import LocalWorkspace


@pytest.fixture
def ws(tmp_path: Path) -> LocalWorkspace:
    """The folder layout the side-by-side run gives Cogency (``cogency_side.layout``)."""
    layout(tmp_path / "ws")
    return LocalWorkspace(tmp_path / "ws")


@pytest.fixture
def run(tmp_path: Path, ws: LocalWorkspace) -> Run:
    """Run one turn whose model writes ``replies``; the stored events and the agent."""

    async def go(replies: list[str], query: str = "go", **kw: Any) -> tuple[list[Event], Agent]:
        agent_kw = {"workspace": ws, **kw.pop("agent", {})}
        provider = FakeProvider(Script.of(replies), resume=False)
        async with Agent(provider, tmp_path / "events.db", **agent_kw) as agent:
            events = [e async for e in agent(query, **kw)]
        return events, agent

    return go
