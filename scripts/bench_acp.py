"""What ``silcrow acp`` takes to cancel a turn, and to answer a short prompt. Prints figures, asserts nothing.

Algorithm:
1. Start ``silcrow acp`` with the scripted provider in a temporary workspace,
   through the ACP SDK's client side (``tests/acp_agent/acp_client.py``'s
   recording client), once per run.
2. Prompt: time from ``session/prompt`` to its ``end_turn`` response for a
   one-line scripted answer (the first prompt of the process, imports
   included, and a second one).
3. Cancel: a turn whose allowed command is ``sleep 60``; once the command
   runs, time from ``session/cancel`` to the ``cancelled`` response (the
   process group killed, ``cancelled`` stored).
4. Print the median and worst of each over ``--runs`` runs.

Run: ``PYTHONPATH=server:tests/acp_agent .venv/bin/python scripts/bench_acp.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from acp import text_block
from acp_client import RecordingClient, agent_env, start_agent

SLEEP_CALL = '§call: {"name": "shell", "args": {"command": "exec sleep 60"}}\n§execute\n'


async def one_run(tmp: Path) -> dict[str, float]:
    root = tmp / "ws"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    replies = ["§respond: one\n§end\n", "§respond: two\n§end\n", SLEEP_CALL, "§end\n"]
    client = RecordingClient(answer="allow_once")
    figures: dict[str, float] = {}
    async with start_agent(client, root, agent_env(tmp / "bench.db", replies)) as (conn, _):
        sid = (await conn.new_session(cwd=str(root), mcp_servers=[])).session_id
        for name in ("first_prompt_ms", "prompt_ms"):
            start = time.perf_counter()
            await conn.prompt(session_id=sid, prompt=[text_block("hi")])
            figures[name] = (time.perf_counter() - start) * 1000
        turn = asyncio.ensure_future(conn.prompt(session_id=sid, prompt=[text_block("sleep")]))
        await client.wait_for("tool_call_update", lambda u: u.status == "in_progress")
        await client.wait_until(lambda: bool(client.permissions))
        await asyncio.sleep(0.2)  # the command is running
        start = time.perf_counter()
        await conn.cancel(session_id=sid)
        result = await turn
        figures["cancel_ms"] = (time.perf_counter() - start) * 1000
        if result.stop_reason != "cancelled":
            raise SystemExit(f"the cancelled turn answered {result.stop_reason}")
    return figures


async def main(runs: int) -> dict[str, dict[str, float]]:
    rows: list[dict[str, float]] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(await one_run(Path(tmp)))
    return {
        key: {
            "median": round(statistics.median(r[key] for r in rows), 1),
            "max": round(max(r[key] for r in rows), 1),
        }
        for key in rows[0]
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.runs)), indent=2))
