"""Helpers shared by the benchmark scripts: percentiles, process figures, the machine.

Owns nothing but small measurements every ``bench_*.py`` needs:
1. ``pct`` / ``spread``: percentiles of a sample (nearest rank, as the
   figures have always been computed here).
2. ``rss_mb`` / ``cpu_seconds`` / ``runqueue_wait_ms``: a process's resident
   memory, its user + system CPU time, and how long its threads have waited
   for a CPU (run-queue time from ``schedstat``), read from ``/proc`` (no
   psutil).
3. ``machine``: what a result was measured on (CPU model, cores, RAM,
   Python, load average, git commit, date).
4. ``arguments``: the ``--quick`` / ``--json`` command line every benchmark takes.
5. Importing it puts ``tests/`` on ``sys.path``, so benchmarks import the
   loopback vendor servers as ``fakes.*`` (they are test code, not part of
   the ``silcrow`` package).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set these environment variables for the block, then put back what was there."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(values: list[float], prefix: str, digits: int = 3) -> dict[str, float]:
    """``{prefix_p50_ms, prefix_p99_ms, prefix_max_ms}`` of a sample in milliseconds."""
    return {
        f"{prefix}_p50_ms": round(pct(values, 0.50), digits),
        f"{prefix}_p99_ms": round(pct(values, 0.99), digits),
        f"{prefix}_max_ms": round(max(values), digits),
    }


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (MiB), from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def runqueue_wait_ms(pid: int, proc: Path = Path("/proc")) -> float:
    """Time all threads of ``pid`` have spent runnable but waiting for a CPU, in ms.

    Read from <proc>/<pid>/task/*/schedstat (second field, ns); a thread that
    ends between listing and reading is skipped.
    """
    total = 0
    for task in (proc / str(pid) / "task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e6


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return float("nan")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except OSError:
        return ""
    return out.stdout.strip()


def load() -> list[float]:
    """The 1-, 5- and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": _git("rev-parse", "HEAD") or "unknown",
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def arguments(doc: str, quick: str) -> argparse.Namespace:
    """``--quick`` (described by ``quick``) and ``--json PATH``, parsed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()
