"""Every benchmark in one run: a table of headline figures against issue 7's targets, and JSON.

Run through ``scripts/bench [--quick] [--json PATH] [--only NAMES]``.

Algorithm:
1. For each benchmark (``BENCHES``, or the ``--only`` subset) start a fresh
   Python that imports ``scripts/bench_<name>.py`` and writes what its
   ``measure(quick)`` returns to a temporary JSON file. A module that is not
   there is reported as absent; one that raises, exits non-zero or runs past
   its time limit gets its error in its row, and the run goes on.
2. Pick the headline figures out of each result (``ROWS``: where the figure
   is, its unit, the target from issue 7 if it has one) and print one table:
   figure, measured, target, met.
3. Write every figure, every error, the machine (CPU model, cores, RAM,
   Python, git commit, date) and the load average before and after to the
   JSON file (default ``bench-results/latest.json``).
4. Exit 1 if any benchmark failed, else 0 (a missed target is a figure, not
   a failure).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import ROOT, load, machine

HERE = ROOT / "scripts"
BENCHES = ("lexer", "cogency", "core", "store", "daemon", "pipeline", "tokens", "cost", "repo")
TIME_LIMIT = {True: 300.0, False: 3600.0}  # seconds per benchmark: quick, full

Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Target:
    op: str  # ">=" or "<="
    value: float

    def met(self, measured: float) -> bool:
        return measured >= self.value if self.op == ">=" else measured <= self.value

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class Row:
    bench: str
    figure: str
    get: Getter
    unit: str = ""
    target: Target | None = None


def key(*path: str) -> Getter:
    def get(figures: dict[str, Any]) -> Any:
        value: Any = figures
        for part in path:
            value = value[part]
        return value

    return get


def token_ratio(task: str, ratio: str, transport: str) -> Getter:
    """A bench_tokens ratio by o200k_base tokens, else by the fakes' rule."""

    def get(figures: dict[str, Any]) -> Any:
        tasks = figures[transport]["tasks"]
        name = task if task in tasks else next(t for t in tasks if t.endswith(task.lstrip("*")))
        ratios = tasks[name]["ratios"]
        o200k = ratios.get(f"{ratio} tokens_o200k")
        return o200k if o200k is not None else ratios[f"{ratio} tokens_rule"]

    return get


def _rows() -> list[Row]:
    rows = [
        Row("lexer", "lexer throughput, 4-char chunks", key("mb_per_s_4_char_chunks"), "MB/s"),
        Row("lexer", "lexer cost per 4-char chunk", key("us_per_chunk_4_char_chunks"), "µs"),
        Row(  # measured, no target: the provider and the tools dominate a turn's wall time
            "cogency",
            "lexer vs Cogency 3.2.0 parse_tokens, 4-char chunks (each as called)",
            key("target", "ratio"),
            "x",
        ),
        Row(
            "cogency",
            "lexer vs Cogency 3.2.0 parse_tokens, 4-char chunks (same async source)",
            key("target", "ratio_async"),
            "x",
        ),
        Row(
            "cogency",
            "lexer vs Cogency, best case: every chunk on its fast path (ceiling of this design)",
            key("floors_4_chars_us", "best_case_ratio"),
            "x",
        ),
    ]
    for transport in ("responses", "realtime", "gemini-live"):
        for cycles, cogency in ((8, 5.2), (16, 9.3), (32, 17.4)):
            rows.append(
                Row(
                    "tokens",
                    f"upstream tokens, replay / resume, 1 turn x {cycles} tool cycles ({transport})",
                    token_ratio(f"1x{cycles}", "replay/resume", transport),
                    "x",
                    Target(">=", cogency),
                )
            )
        rows.append(
            Row(
                "tokens",
                f"upstream tokens, reconnect per turn / warm session, 8 turns x 4 cycles (quick: 2) ({transport})",
                token_ratio("*x4", "reopen_per_turn/warm", transport),
                "x",
                Target(">=", 3),
            )
        )
    for vendor in ("openai", "anthropic", "gemini"):
        target = Target(">=", 0.95) if vendor != "gemini" else None
        rows.append(
            Row(
                "cost",
                f"replay body kept as the next body's prefix, worst cycle ({vendor})",
                key("prefix_min_kept", vendor),
                "share",
                target,
            )
        )
        rows.append(
            Row(
                "cost",
                f"replay body that is a prefix of the previous body, worst cycle ({vendor})",
                key("prefix_min_share", vendor),
                "share",
            )
        )
    for mode in (
        "openai replay",
        "openai resume (responses)",
        "openai resume (realtime)",
        "anthropic replay",
        "gemini replay",
        "gemini resume (gemini-live)",
    ):
        for cycles in (8, 16, 32):
            rows.append(
                Row(
                    "cost",
                    f"cost, 1 turn x {cycles} tool cycles, {mode}",
                    key("cost", mode, f"1x{cycles}", "usd"),
                    "USD",
                )
            )
    rows += [
        Row("daemon", "initialize (spawn -> result), p50", key("initialize_p50_ms"), "ms"),
        Row(
            "daemon",
            "silcrow/prompt -> first silcrow/event, p50",
            key("prompt_to_first_event_p50_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "silcrow/prompt -> first silcrow/event, p99",
            key("prompt_to_first_event_p99_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "silcrow/prompt -> first reply text, p50",
            key("prompt_to_first_text_p50_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "silcrow/prompt -> first reply text, p99",
            key("prompt_to_first_text_p99_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "first prompt of a folder -> first reply text",
            key("first_prompt_to_first_text_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "daemon-added latency (provider delta -> client event), p50",
            key("added_latency_p50_ms"),
            "ms",
            Target("<=", 2),
        ),
        Row(
            "daemon",
            "daemon-added latency (provider delta -> client event), p99",
            key("added_latency_p99_ms"),
            "ms",
            Target("<=", 10),
        ),
        Row(
            "daemon",
            "daemon waiting for a CPU during a prompt (machine load), p50",
            key("runqueue_wait_per_prompt_p50_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "daemon waiting for a CPU during a prompt (machine load), p99",
            key("runqueue_wait_per_prompt_p99_ms"),
            "ms",
        ),
        Row(
            "daemon",
            "prompts whose daemon waited < 1 ms for a CPU",
            key("uncontended_prompts"),
            "prompts",
        ),
        Row(
            "daemon",
            "daemon-added latency over those prompts, p99",
            key("added_latency_uncontended_p99_ms"),
            "ms",
        ),
        Row("daemon", "idle RSS", key("idle_rss_mb"), "MB", Target("<=", 60)),
        Row("daemon", "RSS with 10 live workspace sessions", key("rss_10_live_sessions_mb"), "MB"),
        Row("daemon", "RSS with 50 live workspace sessions", key("rss_50_live_sessions_mb"), "MB"),
    ]
    for transport in ("inproc", "responses"):
        for mode in ("token", "semantic"):
            where = f"{mode} mode, {transport} provider"
            rows.append(
                Row(
                    "pipeline",
                    f"pipeline throughput, {where}",
                    key(f"tokens_per_s_{transport}_{mode}"),
                    "tokens/s",
                )
            )
            rows.append(
                Row(
                    "pipeline",
                    f"pipeline events delivered, {where}",
                    key(f"events_per_s_{transport}_{mode}"),
                    "events/s",
                )
            )
            rows.append(
                Row(
                    "pipeline",
                    f"daemon CPU per 1,000 streamed tokens, {where}",
                    key(f"cpu_s_per_1k_tokens_{transport}_{mode}"),
                    "CPU s",
                )
            )
    rows += [
        Row(
            "core",
            "persist-before-show, provider chunks committed",
            key("persist_before_show_chunks_per_s"),
            "chunks/s",
        ),
        Row("core", "context rebuild, 1,000 events", key("rebuild_ms_1000"), "ms"),
        Row(
            "core",
            "context rebuild, 10,000 events",
            key("rebuild_ms_10000"),
            "ms",
            Target("<=", 50),
        ),
        Row(
            "core",
            "context rebuild, 10,000 events, CPU time",
            key("rebuild_cpu_ms_10000"),
            "CPU ms",
        ),
        Row("core", "context rebuild, 100,000 events", key("rebuild_ms_100000"), "ms"),
        Row(
            "core",
            "rebuild CPU per 1k events, 1,000 events",
            key("rebuild_cpu_ms_per_1k_events_1000"),
            "CPU ms",
        ),
        Row(
            "core",
            "rebuild CPU per 1k events, 10,000 events",
            key("rebuild_cpu_ms_per_1k_events_10000"),
            "CPU ms",
        ),
        Row(
            "core",
            "rebuild CPU per 1k events, 100,000 events",
            key("rebuild_cpu_ms_per_1k_events_100000"),
            "CPU ms",
        ),
        Row(
            "core",
            "rebuild wall time per 1k events, 100,000 vs 1,000 events",
            key("rebuild_ms_per_event_ratio_100000_vs_1000"),
            "x",
        ),
        Row(
            "store",
            "store append, 1 event per commit (durability normal)",
            key("append_normal_batch_1_events_per_s"),
            "events/s",
        ),
        Row(
            "store",
            "store append, 16 events per commit (durability normal)",
            key("append_normal_batch_16_events_per_s"),
            "events/s",
        ),
        Row("store", "store read-back, 100,000 events", key("read_back_ms_100000"), "ms"),
    ]
    return rows + _repo_rows()


def _repo_rows() -> list[Row]:
    """bench_repo: each tree's figures; ratios to ripgrep are the rows whose name ends "vs rg"."""
    rows = []
    for tree, label in (("tree", "100k-file tree"), ("kernel", "kernel tree")):
        for search in ("literal", "regex", "regex_with_no_match"):
            what = search.replace("_", " ")
            rows += [
                Row(
                    "repo",
                    f"search for a {what} ({label}) vs rg",
                    key(tree, f"search_{search}", "vs_rg"),
                    "x",
                    Target("<=", 1.5),
                ),
                Row(
                    "repo",
                    f"search for a {what} ({label}): matches differing, security skips aside",
                    key(tree, f"search_{search}", "differences"),
                    "matches",
                    Target("<=", 0),
                ),
            ]
        rows += [
            Row("repo", f"find by glob, warm index ({label}) vs rg", key(tree, "find", "vs_rg"),
                "x", Target("<=", 1.5)),
            Row("repo", f"find by glob, no index ({label}) vs rg",
                key(tree, "find", "no_index_vs_rg"), "x"),
            Row("repo", f"list of the root, depth 2 ({label})", key(tree, "list_depth2_ms"), "ms",
                Target("<=", 50)),
            Row("repo", f"mentions query once warm, p99 ({label})", key(tree, "mentions_p99_ms"),
                "ms", Target("<=", 30)),
            Row("repo", f"initialize, {label} / empty folder", key(tree, "initialize_vs_empty"),
                "x", Target("<=", 1.2)),
            Row("repo", f"first prompt -> first event, {label} / empty folder",
                key(tree, "first_event_vs_empty"), "x", Target("<=", 1.2)),
            Row("repo", f"daemon RSS, {label} open and indexed", key(tree, "rss_indexed_mb"), "MB",
                Target("<=", 120)),
            Row("repo", f"daemon CPU while idle, watcher on ({label})",
                key(tree, "idle_cpu_percent"), "% of a core", Target("<=", 1)),
            Row("repo", f"file change seen by stale-file awareness, max ({label})",
                key(tree, "stale_seen_max_ms"), "ms", Target("<=", 500)),
        ]  # fmt: skip
    return rows


ROWS = _rows()

WORKER = """
import json, sys
sys.path.insert(0, sys.argv[1])
module = __import__("bench_" + sys.argv[2])
figures = module.measure(quick=sys.argv[3] == "1")
with open(sys.argv[4], "w", encoding="utf-8") as out:
    json.dump(figures, out)
"""


def run_one(name: str, quick: bool) -> dict[str, Any]:
    """``{"figures": ..., "seconds": ...}`` or ``{"error": ..., "seconds": ...}``."""
    if not (HERE / f"bench_{name}.py").exists():
        return {"absent": f"scripts/bench_{name}.py is not there", "seconds": 0.0}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="silcrow-bench-") as tmp:
        out = Path(tmp) / "figures.json"
        cmd = [sys.executable, "-c", WORKER, str(HERE), name, "1" if quick else "0", str(out)]
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIME_LIMIT[quick]
            )
        except subprocess.TimeoutExpired:
            return {
                "error": f"ran past its {TIME_LIMIT[quick]:.0f} s limit",
                "seconds": round(time.perf_counter() - started, 1),
            }
        seconds = round(time.perf_counter() - started, 1)
        if proc.returncode != 0 or not out.exists():
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return {
                "error": lines[-1] if lines else f"exit status {proc.returncode}",
                "log": lines[-20:],
                "seconds": seconds,
            }
        return {"figures": json.loads(out.read_text()), "seconds": seconds}


def table_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, result in results.items():
        problem = result.get("error") or result.get("absent")
        rows = [r for r in ROWS if r.bench == name]
        if problem:
            out.append(
                {
                    "bench": name,
                    "figure": f"{name}: {'ERROR' if 'error' in result else 'absent'}",
                    "measured": problem,
                    "unit": "",
                    "target": "",
                    "met": None,
                }
            )
            continue
        for row in rows:
            try:
                value = row.get(result["figures"])
            except (KeyError, TypeError, StopIteration):
                continue  # a figure this run did not produce (e.g. 16 and 32 cycles in a quick run)
            met = None if row.target is None or value is None else row.target.met(value)
            out.append(
                {
                    "bench": name,
                    "figure": row.figure,
                    "measured": value,
                    "unit": row.unit,
                    "target": str(row.target or ""),
                    "met": met,
                }
            )
    return out


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


MET = {True: "yes", False: "NO", None: "-"}


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown, for docs/performance.md."""
    lines = ["| Figure | Measured | Target | Met |", "|---|---:|---|---|"]
    for r in rows:
        value = f"{cell(r['measured'])} {r['unit']}".strip()
        target = f"{r['target']} {r['unit']}".strip() if r["target"] else "-"
        lines.append(f"| {r['figure']} | {value} | {target} | {MET[r['met']]} |")
    return "\n".join(lines)


def show(rows: list[dict[str, Any]]) -> str:
    width = max(len(r["figure"]) for r in rows)
    lines = [f"{'figure':<{width}}  {'measured':>12} {'unit':<9} {'target':<8} met"]
    for r in rows:
        met = MET[r["met"]]
        lines.append(
            f"{r['figure']:<{width}}  {cell(r['measured']):>12} {r['unit']:<9} "
            f"{r['target']:<8} {met}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and counts (about 2 minutes)"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "bench-results" / "latest.json",
        help="where to write every figure (default: bench-results/latest.json)",
    )
    parser.add_argument(
        "--only",
        default=",".join(BENCHES),
        help=f"comma-separated benchmarks to run, of: {', '.join(BENCHES)}",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="JSON",
        help="print the table of an earlier run's JSON as Markdown and exit",
    )
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())["table"]))
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    report: dict[str, Any] = {"quick": args.quick, "machine": machine(), "load_before": load()}
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"bench {name} ...", end=" ", flush=True)
        results[name] = result = run_one(name, args.quick)
        state = "ERROR: " + result["error"] if "error" in result else result.get("absent", "done")
        print(f"{state} ({result['seconds']} s)", flush=True)
    report["load_after"] = load()
    rows = table_rows(results)
    report["table"] = rows
    report["benches"] = results
    print()
    print(show(rows))
    m = report["machine"]
    print(
        f"\n{m['cpu_model']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"commit {m['git_commit'][:10]}{' (dirty)' if m['git_dirty'] else ''}; load average "
        f"{' '.join(map(str, report['load_before']))} before, "
        f"{' '.join(map(str, report['load_after']))} after"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"figures: {args.json}")
    failed = [n for n, r in results.items() if "error" in r]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
