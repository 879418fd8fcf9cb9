"""Event store benchmark: append rate and read-back time. Prints figures, asserts nothing.

Algorithm:
1. Append rate: token-mode ``respond`` deltas (4 characters each, as a model
   streams them) into one conversation of a fresh on-disk database, one event
   per transaction (``append``) and 16 per transaction (``append_many``), for
   durability ``normal`` and ``full``. Every event is committed before the
   call that stored it returns, so the figure is an honest "persist before
   show" rate.
2. Read-back: conversations of 1,000 / 10,000 / 100,000 events are written in
   batches, then ``events()`` reads each whole conversation back.

Wall-clock figures depend on how busy the machine is; the ``cpu s`` column
(this process's CPU time) shows the store's own cost when they disagree.

Run: ``.venv/bin/python scripts/bench_store.py [--quick] [--json out.json]``;
``measure(quick)`` returns the figures (quick: a quarter of the appends).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchkit import arguments
from silcrow.protocol.events import Event
from silcrow.store import EventStore
from silcrow.store.db import Durability

APPEND_CASES: tuple[tuple[Durability, int, int], ...] = (
    # (durability, events per transaction, events in total)
    ("normal", 1, 5_000),
    ("normal", 16, 32_000),
    ("full", 1, 1_000),
    ("full", 16, 16_000),
)
READ_SIZES = (1_000, 10_000, 100_000)


def delta(conversation_id: str, i: int) -> Event:
    return Event("respond", "lore"[i % 4] * 4, {"delta": True}, conversation_id, f"t{i // 500}")


async def append_rate(db: Path, durability: Durability, batch: int, total: int) -> dict[str, Any]:
    async with await EventStore.open(db, durability=durability) as store:
        conv = (await store.create_conversation()).id
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, total, batch):
            events = [delta(conv, i) for i in range(start, min(start + batch, total))]
            if batch == 1:
                await store.append(events[0])
            else:
                await store.append_many(events)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "durability": durability,
        "batch": batch,
        "events": total,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "events_per_s": round(total / elapsed),
    }


async def read_back(db: Path, size: int) -> dict[str, Any]:
    async with await EventStore.open(db) as store:
        conv = (await store.create_conversation()).id
        for start in range(0, size, 1_000):
            await store.append_many(
                [delta(conv, i) for i in range(start, min(start + 1_000, size))]
            )
        started = time.perf_counter()
        events = await store.events(conv)
        elapsed = time.perf_counter() - started
    assert len(events) == size, "read-back returned the wrong number of events"
    return {"events": size, "seconds": round(elapsed, 4), "events_per_s": round(size / elapsed)}


async def measure_async(quick: bool = False) -> dict[str, Any]:
    """Every figure: {"append": [...], "read": [...]} plus flat headline figures."""
    share = 4 if quick else 1
    with tempfile.TemporaryDirectory(prefix="silcrow-bench-") as tmp:
        root = Path(tmp)
        append = [
            await append_rate(root / f"append-{d}-{b}.db", d, b, n // share)
            for d, b, n in APPEND_CASES
        ]
        read = [await read_back(root / f"read-{size}.db", size) for size in READ_SIZES]
    flat = {
        f"append_{r['durability']}_batch_{r['batch']}_events_per_s": r["events_per_s"]
        for r in append
    }
    flat.update({f"read_back_ms_{r['events']}": round(r["seconds"] * 1000, 1) for r in read})
    return {"append": append, "read": read, **flat}


def measure(quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure_async(quick))


def table(results: dict[str, Any]) -> str:
    lines = [
        "append (token-mode deltas, each committed before it is returned)",
        f"{'durability':<11}{'batch':>6}{'events':>9}{'seconds':>10}{'cpu s':>8}{'events/s':>11}",
    ]
    for r in results["append"]:
        lines.append(
            f"{r['durability']:<11}{r['batch']:>6}{r['events']:>9}{r['seconds']:>10}"
            f"{r['cpu_seconds']:>8}{r['events_per_s']:>11}"
        )
    lines += [
        "",
        "read back a whole conversation with events()",
        f"{'events':>9}{'seconds':>10}{'events/s':>11}",
    ]
    for r in results["read"]:
        lines.append(f"{r['events']:>9}{r['seconds']:>10}{r['events_per_s']:>11}")
    return "\n".join(lines)


def main() -> None:
    args = arguments(__doc__ or "", "a quarter of the appends")
    results = measure(args.quick)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
