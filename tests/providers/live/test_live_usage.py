"""The metric events of a resumed turn sum to exactly what the vendor billed, cut replies included."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.ws_server import FakeWSServer
from silcrow.agent import Agent
from silcrow.providers.registry import make_provider
from silcrow.store import EventStore
from silcrow.testing import Script
from silcrow.tools.local import LocalWorkspace

TAIL = "§result: an invented result that the model should not have written\n"
CALL = '§call: {"name": "list", "args": {"path": "."}}\n§execute\n' + TAIL
FINAL = "§respond: done\n§end\n" + TAIL  # the model goes on after §end too
VENDORS = {"responses": "openai", "realtime": "openai", "gemini-live": "gemini"}


@pytest.mark.parametrize("transport", sorted(VENDORS))
async def test_metrics_of_a_turn_sum_to_the_bills(tmp_path: Path, transport: str) -> None:
    async with FakeWSServer(Script.of([CALL, CALL, FINAL], chunk=8)) as server:
        provider = make_provider(
            VENDORS[transport],
            base_url=server.http_base,
            api_key="test-key",
            live_transport=transport,
            timeout=10.0,
        )
        store = await EventStore.open(tmp_path / "events.db")
        agent = Agent(
            provider,
            mode="resume",
            storage=store,
            workspace=LocalWorkspace(tmp_path),
            profile=False,  # type: ignore[arg-type]
        )
        events = [e async for e in agent("look around")]
        await agent.aclose()
        await store.close()
    assert events[-1].payload == {"stopReason": "end"}
    metrics = [e.payload or {} for e in events if e.type == "metric"]
    assert [m["mode"] for m in metrics] == ["resume"] * 3
    bills = server.ledger.bills
    for field in ("input_tokens", "output_tokens"):
        assert sum(m.get(field, 0) for m in metrics) == sum(getattr(b, field) for b in bills)
    assert sum(m.get("sent_bytes", 0) for m in metrics) == sum(
        c.received_bytes for c in server.conns
    )
