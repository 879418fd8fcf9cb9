"""Pipeline benchmark: events/s through the whole daemon, and its CPU per 1,000 tokens.

One long reply goes through everything a real one does: the fake provider
streams it as fast as it can -> lexer -> accumulator -> SQLite (committed
before shown) -> ``silcrow/event`` notifications -> a JSON-RPC client on the
daemon's stdio pipes.

Algorithm:
1. Build one reply of alternating ``§think`` / ``§respond`` sections of
   prose, ending in ``§end``; count its tokens with the fakes' stated rule
   (``silcrow.testing.count_tokens``).
2. For each streaming mode (``token``: one event per delta; ``semantic``: one
   event per finished section), chosen with the ``streaming`` setting as a
   user would, and each provider transport:
   - ``inproc``: the scripted fake inside the daemon (no wire at all), so the
     figure is the daemon's own cost;
   - ``responses``: the loopback fake OpenAI Responses WebSocket server in
     this process, so the daemon also decodes one JSON frame per delta;
   start a daemon, run one short warm-up turn (builds the agent and opens
   the session), then send the prompts one after another, counting
   ``silcrow/event`` notifications until each result arrives; an ``error``
   event or missing text fails the run.
3. Read the daemon's CPU time (user + system, ``/proc/<pid>/stat``) before
   each prompt and after its result: CPU seconds per 1,000 streamed tokens.
   Wall time from writing the prompt to reading the result gives events/s
   and tokens/s. The provider chunk is 4 characters (about one token).

Run: ``.venv/bin/python scripts/bench_pipeline.py [--quick] [--json out.json]``;
``measure(quick)`` returns the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_daemon import Client, close, init_params, spawn
from benchkit import arguments, cpu_seconds
from fakes.ws_server import FakeWSServer
from silcrow.testing import Script, count_tokens

CHUNK = 4
MODES = ("token", "semantic")
TRANSPORTS = ("inproc", "responses")
WARMUP = "§respond: ready\n§end\n"
# Prompts of one 50 kB reply each (quick, full). Several short streams rather than one long
# one: the fake Responses server reads nothing while it streams a response, so it would not
# answer the client's keep-alive ping and a stream over ~20 s would be dropped.
REPLY_CHARS = 50_000
PROMPTS = {True: 1, False: 8}


def build_reply(chars: int) -> str:
    think = "§think: The caller passes None here, so the loop must check the value first. "
    respond = (
        "§respond: I changed the loop so that it checks the value before it is used, "
        "and the tests cover the empty list and the list with one item. "
    )
    block = think * 2 + "\n" + respond * 3 + "\n"
    return block * max(1, chars // len(block)) + "§end\n"


@contextlib.asynccontextmanager
async def provider(
    transport: str, replies: list[str]
) -> AsyncIterator[tuple[dict[str, Any], dict[str, str]]]:
    """(settings, extra environment) that make the daemon stream ``replies``."""
    if transport == "inproc":
        yield {"provider": "fake", "fakeScript": {"replies": replies, "chunk": CHUNK}}, {}
        return
    async with FakeWSServer(Script.of(replies, chunk=CHUNK)) as server:
        settings = {"provider": "openai", "mode": "resume", "baseUrl": server.http_base}
        yield settings, {"OPENAI_API_KEY": "test-key"}


def prose(reply: str) -> str:
    """The reply's section text without delimiters (what think/respond events carry)."""
    return re.sub(r"§(think|respond): |§end\n", "", reply)


async def one_run(
    env: dict[str, str], root: Path, transport: str, mode: str, reply: str, prompts: int
) -> dict[str, Any]:
    async with provider(transport, [WARMUP] + [reply] * prompts) as (settings, extra):
        proc, _ = await spawn({**env, **extra})
        client = Client(proc)
        counted = {"events": 0, "text": 0}
        wall = cpu = 0.0
        try:
            await client.request("initialize", init_params([root], {**settings, "streaming": mode}))
            client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            warm = await client.request("silcrow/prompt", {"text": "warm up"})
            assert warm["stopReason"] == "end", warm

            def on_message(_stamp: float, message: dict[str, Any]) -> None:
                if message.get("method") == "silcrow/event":
                    counted["events"] += 1
                    params = message.get("params") or {}
                    if params.get("type") in ("think", "respond"):
                        counted["text"] += len(params.get("content", ""))
                    elif params.get("type") == "error":
                        raise RuntimeError(f"{transport}/{mode}: {params.get('content')}")

            for _ in range(prompts):
                cpu_before, started = cpu_seconds(proc.pid), time.perf_counter()
                result = await client.request("silcrow/prompt", {"text": "stream"}, on_message)
                wall += time.perf_counter() - started
                cpu += cpu_seconds(proc.pid) - cpu_before
                assert result["stopReason"] == "end", result
        finally:
            await close(proc, client)
    sections = len(re.findall("§(?:think|respond): ", reply))
    expected = prompts * (len(prose(reply)) - 2 * sections)  # each section may lose its " \n"
    if counted["text"] < expected:
        raise RuntimeError(
            f"{transport}/{mode}: the client saw {counted['text']:,} characters "
            f"of at least {expected:,}"
        )
    tokens = prompts * count_tokens(reply)
    return {
        "prompts": prompts,
        "events": counted["events"],
        "text_chars": counted["text"],
        "tokens": tokens,
        "seconds": round(wall, 3),
        "daemon_cpu_s": round(cpu, 3),
        "events_per_s": round(counted["events"] / wall),
        "tokens_per_s": round(tokens / wall),
        "cpu_s_per_1k_tokens": round(cpu / tokens * 1000, 4),
    }


async def measure_async(quick: bool = False) -> dict[str, Any]:
    reply = build_reply(REPLY_CHARS)
    prompts = PROMPTS[quick]
    figures: dict[str, Any] = {
        "reply_chars": len(reply),
        "reply_tokens": count_tokens(reply),
        "prompts": prompts,
        "chunk_chars": CHUNK,
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "ws"
        root.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SILCROW_")}
        for transport in TRANSPORTS:
            for mode in MODES:
                env["SILCROW_DB"] = str(base / f"{transport}-{mode}.db")
                run = await one_run(env, root, transport, mode, reply, prompts)
                figures["runs"][f"{transport}/{mode}"] = run
                for key in ("events_per_s", "tokens_per_s", "cpu_s_per_1k_tokens"):
                    figures[f"{key}_{transport}_{mode}"] = run[key]
    return figures


def measure(quick: bool = False) -> dict[str, Any]:
    """Both modes over both transports (``quick``: one 50 kB reply instead of eight)."""
    return asyncio.run(measure_async(quick))


def main() -> None:
    args = arguments(__doc__ or "", "one 50 kB reply instead of eight")
    figures = measure(args.quick)
    print(
        f"{figures['prompts']} x one reply of {figures['reply_chars']:,} characters "
        f"({figures['reply_tokens']:,} tokens by the fakes' rule) in "
        f"{figures['chunk_chars']}-character chunks"
    )
    print(
        f"{'transport/mode':20}{'events':>9}{'seconds':>9}{'events/s':>10}{'tokens/s':>10}"
        f"{'cpu s':>8}{'cpu s/1k tok':>14}"
    )
    for name, r in figures["runs"].items():
        print(
            f"{name:20}{r['events']:>9,}{r['seconds']:>9}{r['events_per_s']:>10,}"
            f"{r['tokens_per_s']:>10,}{r['daemon_cpu_s']:>8}{r['cpu_s_per_1k_tokens']:>14}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
