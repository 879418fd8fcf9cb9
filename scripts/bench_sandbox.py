"""What the shell sandbox costs per command. Prints figures, asserts nothing.

Algorithm:
1. Probe for bubblewrap (``silcrow.tools.sandbox.probe``); without it, say
   why and stop.
2. Run ``true`` through ``run_shell`` in a temporary workspace, alternately
   bare (``/bin/sh -c``) and in the sandbox, ``--runs`` times each after a
   few warm-up runs; alternating keeps a busy machine from favouring one.
3. Print the median and p90 wall time of each and the sandbox's extra
   milliseconds per command.

Run: ``PYTHONPATH=server .venv/bin/python scripts/bench_sandbox.py [--runs N] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from silcrow.tools.process import run_shell, scrubbed_env
from silcrow.tools.sandbox import Sandbox, probe

WARM_UP = 3


async def once(root: Path, sandbox: Sandbox | None) -> float:
    start = time.perf_counter()
    outcome = await run_shell(
        "true", cwd=root, timeout=30, limit=1000, env=scrubbed_env(), sandbox=sandbox
    )
    if outcome.exit_code != 0:
        raise SystemExit(f"`true` failed ({'sandboxed' if sandbox else 'bare'}): {outcome.output}")
    return (time.perf_counter() - start) * 1000


async def measure(runs: int) -> dict[str, Any]:
    status = probe()
    if status.sandbox is None:
        return {"sandbox": False, "reason": status.reason}
    times: dict[str, list[float]] = {"bare": [], "sandboxed": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in range(WARM_UP + runs):
            for name, sandbox in (("bare", None), ("sandboxed", status.sandbox)):
                took = await once(root, sandbox)
                if n >= WARM_UP:
                    times[name].append(took)
    figures: dict[str, Any] = {"sandbox": True, "runs": runs}
    for name, values in times.items():
        figures[f"{name}_median_ms"] = round(statistics.median(values), 2)
        figures[f"{name}_p90_ms"] = round(statistics.quantiles(values, n=10)[-1], 2)
    figures["extra_median_ms"] = round(
        figures["sandboxed_median_ms"] - figures["bare_median_ms"], 2
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="commands per variant (default 50)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.runs))
    if not figures["sandbox"]:
        print(f"no sandbox here: {figures['reason']}")
    else:
        print(f"`true` through run_shell, {figures['runs']} runs each (milliseconds)")
        print(f"{'':>10} {'median':>8} {'p90':>8}")
        for name in ("bare", "sandboxed"):
            print(f"{name:>10} {figures[f'{name}_median_ms']:>8} {figures[f'{name}_p90_ms']:>8}")
        print(f"the sandbox adds {figures['extra_median_ms']} ms per command (median)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
