"""Benchmark of the § lexer: throughput and cost per chunk, and linear growth.

Run: ``python scripts/bench_lexer.py [--quick]``. ``measure(quick)`` returns
the figures so a combined benchmark can import this module.

Algorithm:
1. Build one realistic response: think, respond (with prose ``§3.2``) and
   ``§call:`` sections whose JSON carries file content with ``§``, escaped
   quotes and braces, repeated to the target size, ending in ``§execute``.
2. Cut it into 4-character and 1-character chunks (cut before timing), feed
   every chunk to one ``Lexer`` and ``feed_eof``; report MB/s and µs per
   chunk, best of a few rounds. Time is this process's CPU time, so other
   load on the machine does not inflate the figures.
3. Repeat at 1, 2 and 4 MB (quick: 0.25, 0.5, 1 MB): µs per chunk staying
   flat shows linear growth.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from silcrow.protocol.lexer import Lexer

MB = 1_000_000
CHUNKS = (4, 1)
SIZES_MB = {False: (1.0, 2.0, 4.0), True: (0.25, 0.5, 1.0)}  # by ``quick``
ROUNDS = 3


def _block() -> str:
    content = 'def f(x):\n    return {"§a": "q\\"}", "b": [x, {}]}\n' * 12
    call = json.dumps({"name": "write", "args": {"file": "pkg/mod.py", "content": content}})
    return (
        "§think: The caller passes None here; I should read the module and its tests first.\n"
        f"§call: {call}\n"
        "§respond: I rewrote f so that it returns a fresh dict (see §3.2 of the style guide).\n"
        "It keeps the old keys and adds the new one.\n\n"
    )


def build_stream(size: int) -> str:
    block = _block()
    return block * max(1, size // len(block)) + "§execute\n"


def _time_feed(chunks: list[str]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        lexer = Lexer()
        started = time.process_time()
        for chunk in chunks:
            lexer.feed(chunk)
        lexer.feed_eof()
        best = min(best, time.process_time() - started)
    return best


def measure_stream(size_mb: float, chunk: int) -> dict[str, float]:
    text = build_stream(int(size_mb * MB))
    chunks = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    seconds = _time_feed(chunks)
    return {
        "size_mb": len(text) / MB,
        "chunk_chars": chunk,
        "chunks": len(chunks),
        "seconds": seconds,
        "mb_per_s": len(text) / MB / seconds,
        "us_per_chunk": seconds / len(chunks) * 1e6,
    }


def measure(quick: bool = False) -> dict[str, Any]:
    """The middle-sized stream at each chunk size, growth over three sizes, flat headlines."""
    sizes = SIZES_MB[quick]
    growth = {chunk: [measure_stream(size, chunk) for size in sizes] for chunk in CHUNKS}
    figures: dict[str, Any] = {
        "stream": [rows[1] for rows in growth.values()],
        "growth": [row for rows in growth.values() for row in rows],
    }
    for chunk, rows in growth.items():
        figures[f"mb_per_s_{chunk}_char_chunks"] = round(rows[1]["mb_per_s"], 2)
        figures[f"us_per_chunk_{chunk}_char_chunks"] = round(rows[1]["us_per_chunk"], 3)
        figures[f"us_per_chunk_growth_{chunk}_char_chunks_{sizes[-1]:g}mb_vs_{sizes[0]:g}mb"] = (
            round(rows[-1]["us_per_chunk"] / rows[0]["us_per_chunk"], 2)
        )
    return figures


def _table(rows: list[dict[str, float]]) -> str:
    head = f"{'MB':>6} {'chunk':>6} {'chunks':>10} {'seconds':>8} {'MB/s':>7} {'us/chunk':>9}"
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['size_mb']:6.2f} {r['chunk_chars']:6.0f} {r['chunks']:10.0f} "
            f"{r['seconds']:8.3f} {r['mb_per_s']:7.2f} {r['us_per_chunk']:9.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.25 / 0.5 / 1 MB streams")
    args = parser.parse_args()
    figures = measure(args.quick)
    size = figures["stream"][0]["size_mb"]
    print(f"§ lexer, realistic {size:.1f} MB response (CPU time, best of {ROUNDS} rounds)")
    print(_table(figures["stream"]))
    print("\nGrowth: µs per chunk should stay flat as the stream grows")
    print(_table(figures["growth"]))


if __name__ == "__main__":
    main()
