"""Core benchmark: lexer cost, persist-before-show append rate, context rebuild.

Prints figures (never asserts on them):
1. lexer throughput and cost per chunk (``main`` only, from ``bench_lexer``);
2. events/s through the whole agent loop in token mode, each delta
   committed to SQLite before it is yielded (fake provider, 4-char chunks);
3. time to rebuild the context (read events + assemble; wall time and the
   process's CPU time, all threads, best of 5) for conversations of
   1,000, 10,000 and 100,000 events (``--sizes`` chooses), with ms per 1,000
   events at each size: a flat figure is linear growth.

Run: ``.venv/bin/python scripts/bench_core.py [--json out.json]``.
``measure(quick)`` returns figures 2 and 3 (the lexer has its own
``bench_lexer.measure``).
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
from silcrow.store import EventStore
from silcrow.testing import FakeProvider, Script


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
    return {
        "chunks": chunks,
        "events": count,
        "seconds": round(elapsed, 3),
        "chunks_per_s": round(chunks / elapsed),
        "events_per_s": round(count / elapsed),
    }


async def rebuild(db: Path, sizes: tuple[int, ...]) -> dict[str, Any]:
    store = await EventStore.open(db)
    out: dict[str, Any] = {}
    for size in sizes:
        conv = await store.create_conversation(title=f"rebuild {size}")
        batch: list[Event] = []
        for i in range(size):
            kind = ("user", "think", "respond", "end")[i % 4]
            batch.append(
                Event(
                    type=kind,
                    content=f"text {i} " * 8,
                    conversation_id=conv.id,
                    turn_id=f"t{i // 4}",
                )
            )  # type: ignore[arg-type]
            if len(batch) == 1000:
                await store.append_many(batch)
                batch = []
        if batch:
            await store.append_many(batch)
        best = best_cpu = float("inf")
        for _ in range(5):
            started, cpu = time.perf_counter(), time.process_time()
            messages = assemble(await store.events(conv.id), system="system prompt")
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        out[str(size)] = {
            "ms": round(best * 1000, 2),
            "cpu_ms": round(best_cpu * 1000, 2),
            "messages": len(messages),
            "ms_per_1k_events": round(best * 1000 / (size / 1000), 3),
            "cpu_ms_per_1k_events": round(best_cpu * 1000 / (size / 1000), 3),
        }
    await store.close()
    return out


def flat(append: dict[str, Any], rebuilt: dict[str, Any]) -> dict[str, Any]:
    """The figures as one flat dict with units in the names."""
    out: dict[str, Any] = {
        "persist_before_show_chunks_per_s": append["chunks_per_s"],
        "persist_before_show_events_per_s": append["events_per_s"],
    }
    for size, r in rebuilt.items():
        out[f"rebuild_ms_{size}"] = r["ms"]
        out[f"rebuild_cpu_ms_{size}"] = r["cpu_ms"]
        out[f"rebuild_ms_per_1k_events_{size}"] = r["ms_per_1k_events"]
        out[f"rebuild_cpu_ms_per_1k_events_{size}"] = r["cpu_ms_per_1k_events"]
    sizes = sorted(rebuilt, key=int)
    if len(sizes) > 1:
        small, large = rebuilt[sizes[0]], rebuilt[sizes[-1]]
        for unit in ("ms", "cpu_ms"):
            out[f"rebuild_{unit}_per_event_ratio_{sizes[-1]}_vs_{sizes[0]}"] = round(
                large[f"{unit}_per_1k_events"] / small[f"{unit}_per_1k_events"], 2
            )
    return out


async def measure_async(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        append = await append_rate(Path(tmp) / "append.db")
        rebuilt = await rebuild(Path(tmp) / "rebuild.db", sizes)
    return {"append_token_mode": append, "rebuild": rebuilt, **flat(append, rebuilt)}


def measure(quick: bool = False) -> dict[str, Any]:
    """Append rate and rebuild at 1,000 / 10,000 / 100,000 events (the same when quick)."""
    return asyncio.run(measure_async())


def show(figures: dict[str, Any]) -> None:
    a = figures["append_token_mode"]
    print(
        f"persist-before-show, token mode: {a['chunks_per_s']:,} provider chunks/s committed "
        f"before shown ({a['chunks']:,} chunks of 4 chars -> {a['events']:,} stored events "
        f"in {a['seconds']} s; the read-ahead batches what arrives during a commit)"
    )
    for size, r in figures["rebuild"].items():
        print(
            f"context rebuild, {int(size):>7,} events: {r['ms']:8.2f} ms ({r['cpu_ms']:.2f} ms CPU, "
            f"{r['ms_per_1k_events']:.3f} ms per 1k events, {r['messages']:,} messages)"
            + ("  (target <= 50 ms)" if size == "10000" else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="conversation sizes for the rebuild figure (e.g. 1000,10000)",
    )
    args = parser.parse_args()
    figures = asyncio.run(measure_async(tuple(int(x) for x in args.sizes.split(","))))
    show(figures)
    import bench_lexer

    figures["lexer"] = bench_lexer.measure()
    print("lexer:", json.dumps(figures["lexer"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
