from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from silcrow.agent import Agent
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import default_tools


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventStore]:
    s = await EventStore.open(tmp_path / "events.db")
    yield s
    await s.close()


@pytest.fixture
def workspace(tmp_path: Path) -> LocalWorkspace:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "main.py").write_text("print('hello')\n")
    return LocalWorkspace(root)


@pytest.fixture
def make_agent(
    store: EventStore, workspace: LocalWorkspace
) -> Callable[..., tuple[Agent, FakeProvider]]:
    def make(
        replies: list[str], *, chunk: int = 3, mode: str = "replay", delay: float = 0.0, **kw: Any
    ) -> tuple[Agent, FakeProvider]:
        provider = FakeProvider(Script.of(replies, chunk=chunk, delay=delay))
        tools = kw.pop("tools", None)
        if tools is None:
            tools = default_tools(workspace, store=store)
        agent = Agent(provider, mode=mode, storage=store, tools=tools, profile=False, **kw)  # type: ignore[arg-type]
        return agent, provider

    return make
