"""Benchmark of the § lexer: throughput and cost per chunk, and linear growth.

Run: ``python scripts/bench_lexer.py``. ``run()`` returns the figures so a
combined benchmark can import this module.

Algorithm:
1. Build one realistic response: think, respond (with prose ``§3.2``) and
   ``§call:`` sections whose JSON carries file content with ``§``, escaped
   quotes and braces, repeated to the target size, ending in ``§execute``.
2. Cut it into 4-character and 1-character chunks (cut before timing), feed
   every chunk to one ``Lexer`` and ``feed_eof``; report MB/s and µs per
   chunk, best of a few rounds. Time is this process's CPU time, so other
   load on the machine does not inflate the figures.
3. Repeat at 1, 2 and 4 MB: µs per chunk staying flat shows linear growth.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from silcrow.protocol.lexer import Lexer

MB = 1_000_000
CHUNKS = (4, 1)
SIZES_MB = (1, 2, 4)
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


def measure(size_mb: int, chunk: int) -> dict[str, float]:
    text = build_stream(size_mb * MB)
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


def run() -> dict[str, list[dict[str, float]]]:
    """Figures: the 2 MB stream at each chunk size, then 1/2/4 MB at each chunk size."""
    return {
        "stream_2mb": [measure(2, chunk) for chunk in CHUNKS],
        "growth": [measure(size, chunk) for chunk in CHUNKS for size in SIZES_MB],
    }


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
    figures = run()
    print(f"§ lexer, realistic 2 MB response (CPU time, best of {ROUNDS} rounds)")
    print(_table(figures["stream_2mb"]))
    print("\nGrowth: µs per chunk should stay flat as the stream grows")
    print(_table(figures["growth"]))


if __name__ == "__main__":
    main()
