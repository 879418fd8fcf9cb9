"""Core benchmark: lexer cost, persist-before-show append rate, context rebuild.

Prints figures (never asserts on them):
1. lexer throughput and cost per chunk (from ``bench_lexer.run``);
2. events/s through the whole agent loop in token mode, each delta
   committed to SQLite before it is yielded (fake provider, 4-char chunks);
3. time to rebuild the context (read events + assemble) for conversations of
   1,000 and 10,000 events (``--sizes`` adds more, e.g. 100,000).

Run: ``.venv/bin/python scripts/bench_core.py [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from silcrow.agent import Agent
from silcrow.protocol.assembly import assemble
from silcrow.protocol.events import Event
from silcrow.providers.fakes.inproc import FakeProvider
from silcrow.providers.fakes.script import Script
from silcrow.store import EventStore


async def append_rate(db: Path, *, chars: int = 40_000, chunk: int = 4) -> dict[str, Any]:
    store = await EventStore.open(db)
    words = ("lorem ipsum dolor sit amet " * (chars // 27 + 1))[:chars]
    provider = FakeProvider(Script.of([f"§respond: {words}\n§end\n"], chunk=chunk))
    agent = Agent(provider, mode="replay", storage=store, tools=[], profile=False)
    started = time.perf_counter()
    count = 0
    async for _event in agent("stream please", chunks=True):
        count += 1
    elapsed = time.perf_counter() - started
    await store.close()
    chunks = -(-len(provider.script.replies[0]) // chunk)
    return {"chunks": chunks, "events": count, "seconds": round(elapsed, 3),
            "chunks_per_s": round(chunks / elapsed), "events_per_s": round(count / elapsed)}


async def rebuild(db: Path, sizes: tuple[int, ...]) -> dict[str, Any]:
    store = await EventStore.open(db)
    out: dict[str, Any] = {}
    for size in sizes:
        conv = await store.create_conversation(title=f"rebuild {size}")
        batch: list[Event] = []
        for i in range(size):
            kind = ("user", "think", "respond", "end")[i % 4]
            batch.append(Event(type=kind, content=f"text {i} " * 8, conversation_id=conv.id, turn_id=f"t{i // 4}"))  # type: ignore[arg-type]
            if len(batch) == 1000:
                await store.append_many(batch)
                batch = []
        if batch:
            await store.append_many(batch)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            messages = assemble(await store.events(conv.id), system="system prompt")
            best = min(best, time.perf_counter() - started)
        out[str(size)] = {"ms": round(best * 1000, 2), "messages": len(messages)}
        print(f"context rebuild, {size:>7,} events: {best * 1000:8.2f} ms ({len(messages):,} messages)"
              + ("  (target <= 50 ms)" if size == 10_000 else ""), flush=True)
    await store.close()
    return out


def lexer_figures() -> dict[str, Any]:
    try:
        import bench_lexer
    except ImportError:
        return {"skipped": "scripts/bench_lexer.py not found"}
    return bench_lexer.run()


async def main(sizes: tuple[int, ...]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        a = figures["append_token_mode"] = await append_rate(Path(tmp) / "append.db")
        print(f"persist-before-show, token mode: {a['chunks_per_s']:,} provider chunks/s committed "
              f"before shown ({a['chunks']:,} chunks of {4} chars -> {a['events']:,} stored events "
              f"in {a['seconds']} s; the read-ahead batches what arrives during a commit)", flush=True)
        figures["rebuild"] = await rebuild(Path(tmp) / "rebuild.db", sizes)
    figures["lexer"] = lexer_figures()
    print("lexer:", json.dumps(figures["lexer"], indent=1), flush=True)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--sizes", default="1000,10000",
                        help="conversation sizes for the rebuild figure (e.g. 1000,10000,100000)")
    args = parser.parse_args()
    result = asyncio.run(main(tuple(int(x) for x in args.sizes.split(","))))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
