"""Upstream traffic, resume vs replay, measured at the loopback fake servers.

The real agent runs the same scripted tasks against the fake vendor servers,
which keep every request body and WebSocket frame they receive. Each run is
counted three ways: bytes; tokens of OpenAI's ``o200k_base`` encoding
(js-tiktoken, which bundles the ranks, run by Node from
``scripts/tokenizer``, installed there by ``npm ci`` on first use); and tokens by the
fakes' own rule (one per run of word characters, one per other non-space
character), which needs nothing installed. The fakes also bill each response
the way vendors do (whole context, cached prefix), which is reported beside.

1. One user turn with 8, 16 and 32 tool cycles: replay (the vendor's HTTP
   API, one request per cycle) vs resume (one live session).
2. Eight user turns x 4 tool cycles: the warm per-workspace session vs
   re-opening the session for every user turn vs replay.
3. Time to the first delta of a turn on a cold (just opened) vs warm session.

Transports: ``responses`` (OpenAI Responses WebSocket, Silcrow's default for
OpenAI) and ``realtime`` against Chat Completions replay; ``gemini-live``
against Gemini ``streamGenerateContent`` replay.

Run: ``.venv/bin/python scripts/bench_tokens.py [--transport NAME] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import environment  # also puts tests/ on sys.path for fakes.*
from fakes.http_server import FakeHTTPServer
from fakes.ws_server import FakeWSServer
from silcrow.agent import Agent
from silcrow.providers.live.frames import camelize, dumps
from silcrow.providers.registry import make_provider
from silcrow.store import EventStore
from silcrow.testing import Script, count_tokens
from silcrow.tools.base import Tool, ToolResult
from silcrow.tools.local import LocalWorkspace
from silcrow.tools.registry import default_tools

DOC = ("def handler(request):\n    return render(request, 'page.html', {'items': items})\n" * 20)[
    :1500
]
CALL = '§think: I need the next file.\n§call: {"name": "fetch_doc", "args": {"n": %d}}\n§execute\n'
DONE = "§respond: I read every file; the handler renders page.html.\n§end\n"
TOKENIZER = Path(__file__).resolve().parent / "tokenizer"
TRANSPORTS = {"responses": "openai", "realtime": "openai", "gemini-live": "gemini"}
COGENCY = {8: 5.2, 16: 9.3, 32: 17.4}  # Cogency's modelled replay/resume ratios
KEYS = {
    "OPENAI_API_KEY": "test-key",
    "GEMINI_API_KEY": "test-key",
}  # what the loopback fakes accept


class FetchDoc(Tool):
    name = "fetch_doc"
    description = "Return document number n (about 1,500 characters of code)."
    args = {"n": {"type": "integer"}}
    idempotent = True

    async def execute(self, n: int) -> ToolResult:
        return ToolResult(outcome=f"doc {n}", content=f"# doc {n}\n{DOC}")


@dataclass
class Run:
    """What one mode of one task sent upstream (``texts``: every body or frame, as sent)."""

    texts: list[str]
    billed_input: int
    cached: int
    connections: int
    first_delta_ms: list[float] = field(default_factory=list)

    def figures(self, o200k: list[int] | None) -> dict[str, Any]:
        return {
            "bytes": sum(len(t.encode()) for t in self.texts),
            "tokens_rule": sum(count_tokens(t) for t in self.texts),
            "tokens_o200k": sum(o200k) if o200k is not None else None,
            "billed_input": self.billed_input,
            "cached": self.cached,
            "connections": self.connections,
            "first_delta_ms": self.first_delta_ms,
        }


def replies(turns: int, cycles: int) -> list[str]:
    return [r for _ in range(turns) for r in [*(CALL % i for i in range(cycles)), DONE]]


async def run_agent(
    provider: Any, mode: str, turns: int, *, reopen: bool, db: Path, root: Path
) -> list[float]:
    store = await EventStore.open(db)
    tools = [*default_tools(LocalWorkspace(root), store=store), FetchDoc()]
    agent = Agent(
        provider,
        mode=mode,
        storage=store,
        tools=tools,
        profile=False,  # type: ignore[arg-type]
        max_iterations=64,
    )
    conv: str | None = None
    first_delta: list[float] = []
    for t in range(turns):
        if reopen:
            await agent.close_session()
        last = None
        async for ev in agent(f"question {t}: read the docs", conversation_id=conv):
            conv, last = ev.conversation_id, ev
            if ev.type == "metric" and ev.payload and ev.payload.get("cycle") == 1:
                first_delta.append(ev.payload.get("first_delta_ms") or 0.0)
        if last is None or last.payload != {"stopReason": "end"}:
            raise RuntimeError(
                f"{mode} turn {t} did not finish: {last and (last.type, last.content)}"
            )
    await agent.aclose()
    await store.close()
    return first_delta


async def replay(vendor: str, turns: int, cycles: int, tmp: Path) -> Run:
    async with FakeHTTPServer(Script.of(replies(turns, cycles), chunk=16)) as server:
        provider = make_provider(vendor, base_url=server.base_url(vendor))
        await run_agent(provider, "replay", turns, reopen=False, db=tmp / "replay.db", root=tmp)
        return Run(
            texts=[r.body.decode() for r in server.requests],
            billed_input=server.ledger.billed_input_tokens,
            cached=sum(b.cached_tokens for b in server.ledger.bills),
            connections=len(server.requests),
        )


async def resume(transport: str, turns: int, cycles: int, tmp: Path, *, reopen: bool) -> Run:
    vendor = TRANSPORTS[transport]
    async with FakeWSServer(Script.of(replies(turns, cycles), chunk=16)) as server:
        provider = make_provider(vendor, base_url=server.http_base, live_transport=transport)
        db = tmp / ("reopen.db" if reopen else "warm.db")
        firsts = await run_agent(provider, "resume", turns, reopen=reopen, db=db, root=tmp)
        texts = [wire_text(transport, f) for c in server.conns for f in c.frames]
        sent = sum(len(t.encode()) for t in texts)
        received = sum(c.received_bytes for c in server.conns)
        if sent != received:
            raise RuntimeError(
                f"re-encoded frames ({sent} bytes) differ from the wire ({received} bytes)"
            )
        return Run(
            texts=texts,
            billed_input=server.ledger.billed_input_tokens,
            cached=sum(b.cached_tokens for b in server.ledger.bills),
            connections=server.connections,
            first_delta_ms=firsts,
        )


def wire_text(transport: str, frame: dict[str, Any]) -> str:
    """A received frame as the client encoded it (Gemini Live sends camelCase)."""
    return dumps(camelize(frame) if transport == "gemini-live" else frame)


def o200k_counts(texts: Sequence[str]) -> list[int] | str:
    """o200k_base token counts per text via Node + js-tiktoken, or why they are unavailable."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    if not (TOKENIZER / "node_modules" / "js-tiktoken").is_dir():
        npm = shutil.which("npm")
        install = (
            [npm, "ci", "--silent", "--no-audit", "--no-fund", "--prefix", str(TOKENIZER)]
            if npm
            else None
        )
        if (
            install is None
            or subprocess.run(install, capture_output=True, timeout=600, check=False).returncode
        ):
            return f"js-tiktoken could not be installed: run `npm ci --prefix {TOKENIZER}`"
    lines = "".join(json.dumps(t) + "\n" for t in texts)
    proc = subprocess.run(
        [node, str(TOKENIZER / "count.mjs")],
        input=lines,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        return f"tokenizer failed: {proc.stderr.strip()[-300:]}"
    counts = [int(x) for x in proc.stdout.split()]
    if len(counts) != len(texts):
        return f"tokenizer returned {len(counts)} counts for {len(texts)} texts"
    return counts


async def collect(
    transport: str, cycles: Sequence[int], turns: int, tmp: Path
) -> dict[str, dict[str, Run]]:
    """Every run of one transport: ``{task: {mode: Run}}``."""
    vendor = TRANSPORTS[transport]
    runs: dict[str, dict[str, Run]] = {}
    for n in cycles:
        sub = tmp / f"c{n}"
        sub.mkdir()
        runs[f"1x{n}"] = {
            "replay": await replay(vendor, 1, n, sub),
            "resume": await resume(transport, 1, n, sub, reopen=False),
        }
    sub = tmp / "conv"
    sub.mkdir()
    runs[f"{turns}x4"] = {
        "warm": await resume(transport, turns, 4, sub, reopen=False),
        "reopen_per_turn": await resume(transport, turns, 4, sub, reopen=True),
        "replay": await replay(vendor, turns, 4, sub),
    }
    return runs


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def summarise(transport: str, runs: dict[str, dict[str, Run]]) -> dict[str, Any]:
    """Figures, with o200k counts for every text of every run (one Node process)."""
    order = [(task, mode) for task, modes in runs.items() for mode in modes]
    texts = [t for task, mode in order for t in runs[task][mode].texts]
    counted = o200k_counts(texts)
    out: dict[str, Any] = {"transport": transport, "replay_api": TRANSPORTS[transport], "tasks": {}}
    if isinstance(counted, str):
        out["o200k_unavailable"] = counted
    at = 0
    for task, mode in order:
        run = runs[task][mode]
        part = None if isinstance(counted, str) else counted[at : at + len(run.texts)]
        at += len(run.texts)
        out["tasks"].setdefault(task, {})[mode] = run.figures(part)
    for modes in out["tasks"].values():
        base = "resume" if "resume" in modes else "warm"
        modes["ratios"] = {
            f"{mode}/{base} {unit}": ratio(modes[mode][unit], modes[base][unit])
            for unit in ("bytes", "tokens_o200k", "tokens_rule")
            for mode in list(modes)
            if mode != base
        }
    return out


async def measure_async(
    quick: bool = False, transports: Sequence[str] = tuple(TRANSPORTS)
) -> dict[str, Any]:
    with environment(KEYS):
        out: dict[str, Any] = {}
        for transport in transports:
            with tempfile.TemporaryDirectory() as d:
                runs = await collect(
                    transport, (8,) if quick else (8, 16, 32), 2 if quick else 8, Path(d)
                )
            out[transport] = summarise(transport, runs)
        return out


def measure(quick: bool = False) -> dict[str, Any]:
    """Every transport's figures (``quick``: 8 cycles and a 2 x 4 conversation only)."""
    return asyncio.run(measure_async(quick))


def report(figs: dict[str, Any]) -> None:
    for transport, fig in figs.items():
        print(f"\nlive transport: {transport} (replay baseline: {fig['replay_api']} over HTTP)")
        if "o200k_unavailable" in fig:
            print(f"  o200k_base counts unavailable: {fig['o200k_unavailable']}")
        print(
            f"{'task':<10}{'mode':<17}{'bytes up':>11}{'o200k up':>11}{'rule up':>11}"
            f"{'billed in':>11}{'cached':>10}"
        )
        for task, modes in fig["tasks"].items():
            for mode, f in modes.items():
                if mode == "ratios":
                    continue
                o200k = f"{f['tokens_o200k']:,}" if f["tokens_o200k"] is not None else "-"
                print(
                    f"{task:<10}{mode:<17}{f['bytes']:>11,}{o200k:>11}{f['tokens_rule']:>11,}"
                    f"{f['billed_input']:>11,}{f['cached']:>10,}"
                )
            for name, r in modes.get("ratios", {}).items():
                print(f"{'':<10}{name:<40}{r if r is not None else '-':>8}x")
        conv = next(m for t, m in fig["tasks"].items() if "warm" in m)
        firsts = conv["warm"]["first_delta_ms"]
        if len(firsts) > 1:
            print(
                f"first delta of a turn: cold session {firsts[0]:.1f} ms, warm median "
                f"{statistics.median(firsts[1:]):.1f} ms (loopback)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--transport",
        choices=sorted(TRANSPORTS),
        action="append",
        help="measure only this transport (repeatable); default: all",
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = asyncio.run(measure_async(args.quick, args.transport or tuple(TRANSPORTS)))
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
