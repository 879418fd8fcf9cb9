"""Upstream traffic, resume vs replay, measured at the loopback fake servers.

The real agent runs scripted tasks against the fake vendor servers, which
count what they receive (bytes, and tokens by the fakes' stated rule: one per
word run, one per other non-space character) and bill each response the way
vendors do (whole context, cached prefix). Prints figures only.

1. One user turn with 8, 16 and 32 tool cycles: replay (Chat Completions
   over HTTP) vs resume (a live session; Responses WebSocket mode by default).
2. Eight user turns x 4 tool cycles: the warm per-workspace session vs
   re-opening the session for every user turn vs replay.
3. Time to the first delta of a turn on a cold (just opened) vs warm session.

Run: ``.venv/bin/python scripts/bench_tokens.py [--transport realtime] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from silcrow.agent import Agent
from silcrow.providers.fakes.http_server import FakeHTTPServer
from silcrow.providers.fakes.script import Script
from silcrow.providers.fakes.ws_server import FakeWSServer
from silcrow.providers.registry import make_provider
from silcrow.store import EventStore
from silcrow.tools.base import Tool, ToolResult
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import default_tools

DOC = ("def handler(request):\n    return render(request, 'page.html', {'items': items})\n" * 20)[:1500]
CALL = '§think: I need the next file.\n§call: {"name": "fetch_doc", "args": {"n": %d}}\n§execute\n'
DONE = "§respond: I read every file; the handler renders page.html.\n§end\n"


class FetchDoc(Tool):
    name = "fetch_doc"
    description = "Return document number n (about 1,500 characters of code)."
    args = {"n": {"type": "integer"}}
    idempotent = True

    async def execute(self, n: int) -> ToolResult:
        return ToolResult(outcome=f"doc {n}", content=f"# doc {n}\n{DOC}")


def replies(turns: int, cycles: int) -> list[str]:
    return [r for _ in range(turns) for r in [*(CALL % i for i in range(cycles)), DONE]]


async def run_agent(provider: Any, mode: str, turns: int, *, reopen: bool, db: Path, root: Path) -> list[float]:
    store = await EventStore.open(db)
    tools = [*default_tools(LocalWorkspace(root), store=store), FetchDoc()]
    agent = Agent(provider, mode=mode, storage=store, tools=tools, profile=False,  # type: ignore[arg-type]
                  max_iterations=64)
    conv: str | None = None
    first_delta: list[float] = []
    for t in range(turns):
        if reopen:
            await agent.close_session()
        async for ev in agent(f"question {t}: read the docs", conversation_id=conv):
            conv = ev.conversation_id
            if ev.type == "metric" and ev.payload and ev.payload.get("cycle") == 1:
                first_delta.append(ev.payload.get("first_delta_ms") or 0.0)
    await agent.aclose()
    await store.close()
    return first_delta


async def replay(turns: int, cycles: int, tmp: Path) -> dict[str, Any]:
    async with FakeHTTPServer(Script.of(replies(turns, cycles), chunk=16)) as server:
        provider = make_provider("openai", base_url=server.base_url("openai"), model="gpt-4.1-mini")
        await run_agent(provider, "replay", turns, reopen=False, db=tmp / "r.db", root=tmp)
        return {
            "bytes": sum(r.bytes for r in server.requests),
            "tokens": sum(r.tokens for r in server.requests),
            "billed_input": server.ledger.billed_input_tokens,
            "cached": sum(b.cached_tokens for b in server.ledger.bills),
            "requests": len(server.requests),
        }


async def resume(turns: int, cycles: int, tmp: Path, transport: str, *, reopen: bool) -> dict[str, Any]:
    async with FakeWSServer(Script.of(replies(turns, cycles), chunk=16)) as server:
        provider = make_provider("openai", base_url=server.http_base, live_transport=transport)
        name = "reopen.db" if reopen else "warm.db"
        firsts = await run_agent(provider, "resume", turns, reopen=reopen, db=tmp / name, root=tmp)
        return {
            "bytes": sum(c.received_bytes for c in server.conns),
            "tokens": sum(c.received_tokens for c in server.conns),
            "billed_input": server.ledger.billed_input_tokens,
            "cached": sum(b.cached_tokens for b in server.ledger.bills),
            "connections": server.connections,
            "first_delta_ms": firsts,
        }


async def main(transport: str) -> dict[str, Any]:
    os.environ["OPENAI_API_KEY"] = "test-key"  # the key the loopback fakes accept
    out: dict[str, Any] = {"transport": transport, "single_turn": {}, "conversation_8x4": {}}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for cycles in (8, 16, 32):
            sub = tmp / f"c{cycles}"
            sub.mkdir()
            out["single_turn"][cycles] = {
                "replay": await replay(1, cycles, sub),
                "resume": await resume(1, cycles, sub, transport, reopen=False),
            }
        sub = tmp / "conv"
        sub.mkdir()
        out["conversation_8x4"] = {
            "warm": await resume(8, 4, sub, transport, reopen=False),
            "reopen_per_turn": await resume(8, 4, sub, transport, reopen=True),
            "replay": await replay(8, 4, sub),
        }
    return out


def report(fig: dict[str, Any]) -> None:
    print(f"live transport: {fig['transport']}; tokens by the fakes' rule (word runs + punctuation)")
    print(f"{'task':<26}{'mode':<17}{'bytes up':>10}{'tokens up':>11}{'billed in':>11}{'cached':>9}")
    for cycles, modes in fig["single_turn"].items():
        for mode, f in modes.items():
            print(f"{f'1 turn x {cycles} cycles':<26}{mode:<17}{f['bytes']:>10,}{f['tokens']:>11,}"
                  f"{f['billed_input']:>11,}{f['cached']:>9,}")
        r, s = modes["replay"], modes["resume"]
        print(f"{'':<26}{'replay/resume':<17}{r['bytes'] / s['bytes']:>10.1f}x{r['tokens'] / s['tokens']:>10.1f}x"
              f"{r['billed_input'] / s['billed_input']:>10.2f}x")
    conv = fig["conversation_8x4"]
    for mode, f in conv.items():
        print(f"{'8 turns x 4 cycles':<26}{mode:<17}{f['bytes']:>10,}{f['tokens']:>11,}"
              f"{f['billed_input']:>11,}{f['cached']:>9,}")
    w, o = conv["warm"], conv["reopen_per_turn"]
    print(f"{'':<26}{'reopen/warm':<17}{o['bytes'] / w['bytes']:>10.1f}x{o['tokens'] / w['tokens']:>10.1f}x")
    cold, warm = w["first_delta_ms"][0], w["first_delta_ms"][1:]
    print(f"first delta of a turn: cold session {cold:.1f} ms, warm median {statistics.median(warm):.1f} ms "
          "(loopback; the cold figure includes opening the session and uploading the context)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", default="responses", choices=["responses", "realtime"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = asyncio.run(main(args.transport))
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
