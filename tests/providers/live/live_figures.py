"""Figures for the live transports against the loopback fake (prints, asserts nothing).

Run: ``.venv/bin/python tests/providers/live/live_figures.py``

1. Wire cost of an 8-cycle exchange (7 tool cycles cut at §execute, then a
   final answer) over one warm session, per transport: bytes and tokens the
   fake received, tokens billed; against what replay would send (every cycle
   re-sends the whole context as one Chat Completions body).
2. Time to first delta: cold (open the session, then send) against warm
   (send on an open session), median of N runs on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from live_helpers import EXECUTE, FINAL, call_reply, open_session, read_all, read_to_execute

from fakes.ws_server import FakeWSServer
from silcrow.providers.base import Message, TextDelta
from silcrow.providers.live.frames import dumps
from silcrow.testing import Script, count_tokens

SYSTEM = "You are Silcrow, a coding agent. " + "Follow the § protocol; one call per cycle. " * 40
RESULT = "§result: " + "\n".join(
    f"{i:03d}    value_{i} = compute(value_{i - 1}) + {i}" for i in range(40)
)
HISTORY = [
    Message("system", SYSTEM),
    Message("user", "Summarise main.py"),
    Message("assistant", "§respond: It prints.\n§end\n"),
]
CYCLES = 8
RUNS = 15


def replay_cost(messages: list[Message]) -> tuple[int, int]:
    body = dumps(
        {
            "model": "m",
            "stream": True,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
    )
    return len(body.encode()), count_tokens(body)


async def exchange(kind: str, **overrides: Any) -> dict[str, int]:
    replies = [call_reply(i) for i in range(CYCLES - 1)] + [FINAL]
    async with FakeWSServer(Script.of(replies, chunk=8)) as server:
        session = await open_session(server, kind, HISTORY, **overrides)
        messages = list(HISTORY)
        replay_bytes = replay_tokens = 0
        text = "Refactor compute()"
        for cycle in range(CYCLES):
            messages.append(Message("user", text))
            size, tokens = replay_cost(messages)
            replay_bytes, replay_tokens = replay_bytes + size, replay_tokens + tokens
            if cycle < CYCLES - 1:
                messages.append(Message("assistant", await read_to_execute(session, text)))
                text = RESULT
            else:
                messages.append(Message("assistant", (await read_all(session, text))[0]))
        await session.close()
        return {
            "live_bytes": sum(c.received_bytes for c in server.conns),
            "live_tokens": sum(c.received_tokens for c in server.conns),
            "billed_input": server.ledger.billed_input_tokens,
            "billed_cached": sum(b.cached_tokens for b in server.ledger.bills),
            "replay_bytes": replay_bytes,
            "replay_tokens": replay_tokens,
        }


async def first_delta(session: Any, text: str) -> None:
    stream = session.send(text)
    async with contextlib.aclosing(stream):
        async for item in stream:
            if isinstance(item, TextDelta):
                return


async def latency(kind: str, **overrides: Any) -> tuple[float, float]:
    cold: list[float] = []
    warm: list[float] = []
    async with FakeWSServer(Script.of([FINAL] * (3 * RUNS), chunk=8)) as server:
        for _ in range(RUNS):
            started = time.perf_counter()
            session = await open_session(server, kind, HISTORY, **overrides)
            await first_delta(session, "hello")
            cold.append(time.perf_counter() - started)
            await session.truncate("")
            started = time.perf_counter()
            await first_delta(session, "again")
            warm.append(time.perf_counter() - started)
            await session.close()
    return statistics.median(cold) * 1000, statistics.median(warm) * 1000


VARIANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("responses", "responses (store true, warm-up at open)", {}),
    (
        "responses",
        "responses (store true, history with 1st send)",
        {"extra": {"responses_warmup": False}},
    ),
    (
        "responses",
        "responses (store false, warm-up at open)",
        {"extra": {"responses_store": False}},
    ),
    ("realtime", "realtime", {}),
    ("gemini-live", "gemini-live", {}),
]


async def main() -> None:
    print(
        f"{CYCLES}-cycle exchange, system {len(SYSTEM)} chars, each result {len(RESULT)} chars, cut at {EXECUTE}"
    )
    print(
        f"{'transport':36} {'live B':>8} {'replay B':>9} {'ratio':>6} {'live tok':>9} {'replay tok':>10} {'billed in':>9} {'cached':>7}"
    )
    for kind, label, overrides in VARIANTS:
        f = await exchange(kind, **overrides)
        ratio = f["live_bytes"] / f["replay_bytes"]
        print(
            f"{label:36} {f['live_bytes']:8} {f['replay_bytes']:9} {ratio:6.2f} {f['live_tokens']:9} "
            f"{f['replay_tokens']:10} {f['billed_input']:9} {f['billed_cached']:7}"
        )
    print(f"\ntime to first delta, median of {RUNS} (loopback; cold = open + send)")
    for kind, label, overrides in VARIANTS:
        cold, warm = await latency(kind, **overrides)
        print(f"{label:36} cold {cold:7.2f} ms   warm {warm:7.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
