"""A turn's metric events add up to what the vendor billed; odd stops are told.

Over the real replay adapters and the loopback HTTP fakes: the usage that
vendors send after the text (after ``§end``, after ``§execute`` when the
model takes no stop sequence) reaches the metric events, so their sum is
the fake's ledger, exactly. A reply the vendor ended for another reason
(here a length cut, bytes as OpenAI sends them) leaves a notice in the
transcript and its stop reason in the metric; the drain after ``§end`` is
bounded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fakes.http_server import FakeHTTPServer
from silcrow.agent import Agent
from silcrow.agent.readahead import batches, drain
from silcrow.providers.base import Stop, StopReason, StreamItem, TextDelta, Usage
from silcrow.providers.registry import make_provider
from silcrow.testing import Script
from support.agentkit import CountingTool, collect

CALL = '§call: {"name": "query_db", "args": {"sql": "q1"}}\n§execute\n§respond: (made up)\n'
DONE = "§respond: done\n§end\nand a few words after the end"
KEY = "test-key"


def provider_for(server: FakeHTTPServer, vendor: str) -> Any:
    if vendor == "openai-compatible":
        return make_provider(server.base_url("openai"), model="local-model")
    model = {"openai": "gpt-4.1-mini", "openai-reasoning": "gpt-5.4-mini"}.get(vendor)
    family = "openai" if vendor.startswith("openai") else vendor
    kw = {"model": model} if model else {}
    return make_provider(family, base_url=server.base_url(family), api_key=KEY, **kw)


@pytest.mark.parametrize(
    "vendor", ["openai", "openai-reasoning", "openai-compatible", "anthropic", "gemini"]
)
async def test_metric_events_sum_to_exactly_what_the_vendor_billed(vendor: str, store) -> None:
    async with FakeHTTPServer(Script.of([CALL, DONE], chunk=5), api_key=None) as server:
        agent = Agent(
            provider_for(server, vendor),
            mode="replay",
            storage=store,
            tools=[CountingTool()],
            profile=False,
        )
        events = await collect(agent, "q")
        await agent.aclose()
        bills = server.ledger.bills
    metrics = [e.payload or {} for e in events if e.type == "metric"]
    assert events[-1].type == "end" and len(metrics) == len(bills) == 2
    for field in ("input_tokens", "cached_tokens", "output_tokens"):
        assert sum(m[field] for m in metrics) == sum(getattr(b, field) for b in bills), field
    assert all(m["stop_reason"] == "end" and m.get("usage_complete", True) for m in metrics)
    assert not any(e.payload and e.payload.get("notice") for e in events)


@pytest.mark.parametrize("vendor", ["openai", "anthropic", "gemini"])
async def test_a_reply_cut_at_the_output_cap_leaves_one_notice_and_exact_usage(
    vendor: str, store
) -> None:
    async with FakeHTTPServer(Script.of([DONE], chunk=5), api_key=None) as server:
        family = "openai" if vendor == "openai" else vendor
        provider = make_provider(
            family, base_url=server.base_url(family), api_key=KEY, max_output_tokens=3
        )
        agent = Agent(provider, mode="replay", storage=store, tools=[CountingTool()], profile=False)
        events = await collect(agent, "q")
        await agent.aclose()
        (bill,) = server.ledger.bills
    notices = [e for e in events if (e.payload or {}).get("notice")]
    assert [n.payload for n in notices] == [{"notice": True, "stopReason": "length"}]
    (metric,) = [e.payload or {} for e in events if e.type == "metric"]
    assert metric["stop_reason"] == "length" and metric["output_tokens"] == bill.output_tokens == 3
    assert events[-1].type == "end"


def openai_stream(text: str, finish: str, usage: dict[str, int]) -> bytes:
    def chunk(**doc: Any) -> bytes:
        return (
            b"data: "
            + json.dumps({"id": "c", "object": "chat.completion.chunk", **doc}).encode()
            + b"\n\n"
        )

    return b"".join(
        [
            chunk(
                choices=[{"index": 0, "delta": {"content": text}, "finish_reason": None}],
                usage=None,
            ),
            chunk(choices=[{"index": 0, "delta": {}, "finish_reason": finish}], usage=None),
            chunk(choices=[], usage=usage),
            b"data: [DONE]\n\n",
        ]
    )


async def run_recorded(store: Any, body: bytes) -> list[Any]:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body
        )
    )
    provider = make_provider(
        "openai",
        api_key=KEY,
        model="gpt-5.4-mini",
        http_client=httpx.AsyncClient(transport=transport),
    )
    agent = Agent(provider, mode="replay", storage=store, tools=[CountingTool()], profile=False)
    events = await collect(agent, "write a lot")
    await agent.aclose()
    return events


async def test_a_length_cut_after_the_end_is_logged_not_shown(store) -> None:
    usage = {"prompt_tokens": 40, "completion_tokens": 4096, "total_tokens": 4136}
    body = openai_stream("§respond: all of it\n§end\nand rambling on", "length", usage)
    events = await run_recorded(store, body)
    assert not any((e.payload or {}).get("notice") for e in events)
    (metric,) = [e.payload or {} for e in events if e.type == "metric"]
    assert metric["stop_reason"] == "length" and metric["output_tokens"] == 4096


async def test_a_length_cut_is_shown_and_stored_with_its_usage(store) -> None:
    usage = {"prompt_tokens": 40, "completion_tokens": 4096, "total_tokens": 4136}
    body = openai_stream("§respond: the first half of a long", "length", usage)
    events = await run_recorded(store, body)
    notices = [e for e in events if e.type == "user" and (e.payload or {}).get("notice")]
    assert len(notices) == 1 and notices[0].payload == {"notice": True, "stopReason": "length"}
    assert "output token limit" in notices[0].content
    assert "reasoning tokens" in notices[0].content and "'length'" in notices[0].content
    (metric,) = [e.payload for e in events if e.type == "metric"]
    assert metric is not None
    assert (metric["stop_reason"], metric["vendor_stop_reason"]) == ("length", "length")
    assert (metric["input_tokens"], metric["output_tokens"]) == (40, 4096)
    assert events[-1].type == "end"  # the turn still ends; the cut is told, not an error
    assert [e.type for e in events].index("user", 1) < [e.type for e in events].index("metric")


async def _items(
    items: list[StreamItem], *, then_forever: bool = False
) -> AsyncIterator[StreamItem]:
    for item in items:
        yield item
    while then_forever:
        yield TextDelta("more text the model keeps writing ")
        await asyncio.sleep(0)


async def test_drain_keeps_usage_and_stop_and_drops_text() -> None:
    usage = Usage(input_tokens=5, output_tokens=7)
    stream = _items([TextDelta("after §end"), Stop(StopReason.END, "stop"), usage])
    tail = await drain(batches(stream), max_chars=1000, seconds=30)
    assert tail.complete and tail.items == [Stop(StopReason.END, "stop"), usage]


async def test_drain_gives_up_past_its_character_bound() -> None:
    tail = await drain(batches(_items([], then_forever=True)), max_chars=200, seconds=30)
    assert not tail.complete and tail.items == []
