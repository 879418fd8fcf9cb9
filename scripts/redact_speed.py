"""Print how fast ``silcrow.tools.redact.redact`` runs on 1 MB of mixed text.

Usage: ``PYTHONPATH=server python scripts/redact_speed.py [megabytes]``

The text is the project's own Python source (code, docstrings, hashes in
comments), interleaved with log lines, git hashes, UUIDs and a few fake
credentials, repeated up to the size asked for. Prints MB/s (best of 5) and
how many ``[redacted:`` markers one pass left.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

from silcrow.tools.redact import redact

ROOT = Path(__file__).resolve().parent.parent


def mixed_text(size: int) -> str:
    rng = random.Random(7)
    source = "".join(p.read_text() for p in sorted((ROOT / "server" / "silcrow").rglob("*.py")))
    parts, total = [], 0
    while total < size:
        cut = rng.randrange(0, max(1, len(source) - 4000))
        extra = [
            source[cut : cut + 4000],
            f"2026-01-01T12:00:00Z INFO commit {rng.getrandbits(160):040x} request {uuid.UUID(int=rng.getrandbits(128))}\n",
            f"OPENAI_API_KEY=sk-proj-{rng.getrandbits(200):050x}\n",
            "Authorization: Basic dXNlcjpodW50ZXIyMjIyMjI=\n",
            "The quick brown fox jumps over the lazy dog. " * 20 + "\n",
        ]
        chunk = "".join(extra)
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)[:size]


def main() -> None:
    size = int(float(sys.argv[1]) * 1_000_000) if len(sys.argv) > 1 else 1_000_000
    text = mixed_text(size)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        out = redact(text)
        best = min(best, time.perf_counter() - started)
    print(
        f"redact: {len(text) / 1e6:.1f} MB in {best * 1000:.0f} ms = {len(text) / 1e6 / best:.1f} MB/s; "
        f"{out.count('[redacted:')} markers"
    )


if __name__ == "__main__":
    main()
