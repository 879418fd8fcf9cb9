"""Prompt-cache friendliness of replay requests, and the dollar cost of the tool-cycle tasks.

The real agent runs bench_tokens' task (one user turn with 8, 16 and 32 tool
cycles, each reading 1.5 kB) against the loopback vendor servers, per vendor
and mode: replay over OpenAI Chat Completions, Anthropic Messages and Gemini
``streamGenerateContent``; resume over OpenAI Responses WebSocket (store true,
the default), OpenAI Realtime and Gemini Live. The default models of the
vendor table are used.

1. Prefix stability (replay): for each request after the first, the bytes
   its body shares as an exact prefix with the previous request's body, as
   a share of this body (``share``; the new tool result can never be in it,
   so it stays below 1) and as a share of the previous body (``kept``: how
   much of what was sent, and could be cached, comes back unchanged; an
   append-only body keeps all but its closing bytes). Reported per cycle,
   with the minimum; the target (>= 95% per cycle, Anthropic and OpenAI) is
   read on ``kept``. Vendors cache the rendered prompt, not JSON bytes, so
   this is the strict reading: a body that is not append-only (a setting
   written after the conversation, a cache breakpoint written into the
   newest block) fails it even where the vendor's cache would still hit.
2. Cost: each response's bill from the fake's ledger (whole context as
   input, the prefix the same conversation sent before as cached, Anthropic's
   uncached part as a cache write since its breakpoint is on the last block)
   priced with ``scripts/prices.toml``. Token counts are the fakes' rule (one
   per word run, one per other character), not a vendor tokenizer: compare
   the modes and vendors with each other, not with an invoice.

Run: ``scripts/bench --only cost`` or ``.venv/bin/python scripts/bench_cost.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tokens import KEYS, replies, run_agent
from benchkit import arguments, environment
from fakes.http_server import FakeHTTPServer
from fakes.ws_server import FakeWSServer
from silcrow.providers.registry import make_provider
from silcrow.providers.vendors import VENDORS
from silcrow.testing import Bill, Script

PRICES = Path(__file__).resolve().parent / "prices.toml"
KEYS_ALL = {**KEYS, "ANTHROPIC_API_KEY": "test-key"}
REPLAY = ("openai", "anthropic", "gemini")
RESUME = {"responses": "openai", "realtime": "openai", "gemini-live": "gemini"}
TARGET = 0.95  # prefix share per cycle, Anthropic and OpenAI


@dataclass(frozen=True)
class Price:
    input: float
    cached_input: float
    cache_write: float
    output: float

    def dollars(self, bills: Sequence[Bill], *, writes: bool) -> float:
        """Bills priced per 1M tokens; ``writes``: the uncached input is a cache write."""
        total = 0.0
        for b in bills:
            fresh = b.input_tokens - b.cached_tokens
            rate = self.cache_write if writes else self.input
            total += (
                fresh * rate + b.cached_tokens * self.cached_input + b.output_tokens * self.output
            )
        return total / 1_000_000


def prices() -> dict[str, Price]:
    doc = tomllib.loads(PRICES.read_text(encoding="utf-8"))
    fields = ("input", "cached_input", "cache_write", "output")
    return {name: Price(*(float(row[f]) for f in fields)) for name, row in doc.items()}


def model_of(vendor: str, transport: str | None) -> str:
    row = VENDORS[vendor]
    model = row.live_models.get(transport, row.model) if transport else row.model
    return f"{vendor}/{model}"


def shared_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix of two byte strings."""
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def prefix_shares(bodies: Sequence[bytes]) -> dict[str, list[float]]:
    """Per body after the first, the shared prefix with the previous: over this body, over that."""
    share: list[float] = []
    kept: list[float] = []
    for before, body in itertools.pairwise(bodies):
        shared = shared_prefix(before, body)
        share.append(round(shared / len(body), 4))
        kept.append(round(shared / len(before), 4))
    return {"share": share, "kept": kept}


async def replay_run(
    vendor: str, cycles: int, tmp: Path
) -> tuple[list[Bill], dict[str, list[float]]]:
    async with FakeHTTPServer(Script.of(replies(1, cycles), chunk=16)) as server:
        provider = make_provider(vendor, base_url=server.base_url(vendor))
        await run_agent(provider, "replay", 1, reopen=False, db=tmp / "replay.db", root=tmp)
        return list(server.ledger.bills), prefix_shares([r.body for r in server.requests])


async def resume_run(transport: str, cycles: int, tmp: Path) -> list[Bill]:
    vendor = RESUME[transport]
    async with FakeWSServer(Script.of(replies(1, cycles), chunk=16)) as server:
        provider = make_provider(vendor, base_url=server.http_base, live_transport=transport)
        await run_agent(provider, "resume", 1, reopen=False, db=tmp / "resume.db", root=tmp)
        return list(server.ledger.bills)


def cost_row(bills: Sequence[Bill], price: Price, *, writes: bool) -> dict[str, Any]:
    return {
        "usd": round(price.dollars(bills, writes=writes), 6),
        "input_tokens": sum(b.input_tokens for b in bills),
        "cached_tokens": sum(b.cached_tokens for b in bills),
        "output_tokens": sum(b.output_tokens for b in bills),
        "responses": len(bills),
    }


async def measure_async(quick: bool = False) -> dict[str, Any]:
    table = prices()
    out: dict[str, Any] = {"prices": str(PRICES.name), "prefix": {}, "cost": {}}
    with environment(KEYS_ALL):
        for cycles in (8,) if quick else (8, 16, 32):
            task = f"1x{cycles}"
            for vendor in REPLAY:
                with tempfile.TemporaryDirectory() as d:
                    bills, shares = await replay_run(vendor, cycles, Path(d))
                out["prefix"].setdefault(vendor, {})[task] = {
                    **shares,
                    "min_kept": min(shares["kept"]),
                    "min_share": min(shares["share"]),
                    "median_share": statistics.median(shares["share"]),
                }
                price = table[model_of(vendor, None)]
                row = cost_row(bills, price, writes=vendor == "anthropic")
                out["cost"].setdefault(f"{vendor} replay", {})[task] = row
            for transport, vendor in RESUME.items():
                with tempfile.TemporaryDirectory() as d:
                    bills = await resume_run(transport, cycles, Path(d))
                price = table[model_of(vendor, transport)]
                row = cost_row(bills, price, writes=False)
                out["cost"].setdefault(f"{vendor} resume ({transport})", {})[task] = row
        out["prefix_min_kept"] = {
            v: min(t["min_kept"] for t in out["prefix"][v].values()) for v in REPLAY
        }
        out["prefix_min_share"] = {
            v: min(t["min_share"] for t in out["prefix"][v].values()) for v in REPLAY
        }
        return out


def measure(quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure_async(quick))


def report(figures: dict[str, Any]) -> None:
    print("replay: bytes shared as a prefix with the previous request (kept: of that one)")
    for vendor, tasks in figures["prefix"].items():
        for task, f in tasks.items():
            share = " ".join(f"{x:.3f}" for x in f["share"])
            kept = " ".join(f"{x:.3f}" for x in f["kept"])
            print(f"  {vendor:<10}{task:<6} share [{share}]")
            print(f"  {'':<16} kept  [{kept}]")
    print("\ncost in USD (prices: scripts/prices.toml; tokens by the fakes' rule)")
    for mode, tasks in figures["cost"].items():
        cells = "  ".join(f"{task} ${f['usd']:.4f}" for task, f in tasks.items())
        print(f"  {mode:<32}{cells}")


if __name__ == "__main__":
    args = arguments(__doc__, "the 8-cycle task only")
    figures = measure(args.quick)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
