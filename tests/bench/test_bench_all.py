"""scripts/bench: a failing benchmark is reported in its row and the run goes on.

The benchmarks are replaced by three stand-ins in a temporary scripts
directory: one that measures, one that raises, one that is not there.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_all
import benchkit

OK = """
def measure(quick=False):
    return {"speed": 7.5 if quick else 1.0, "nested": {"slow": 12}}
"""
BOOM = """
def measure(quick=False):
    raise RuntimeError("the fake server went away")
"""


@pytest.fixture
def stand_ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "bench_ok.py").write_text(OK)
    (scripts / "bench_boom.py").write_text(BOOM)
    monkeypatch.setattr(bench_all, "HERE", scripts)
    monkeypatch.setattr(bench_all, "BENCHES", ("ok", "boom", "gone"))
    monkeypatch.setattr(
        bench_all,
        "ROWS",
        [
            bench_all.Row("ok", "speed", bench_all.key("speed"), "MB/s", bench_all.Target(">=", 5)),
            bench_all.Row(
                "ok",
                "slow thing",
                bench_all.key("nested", "slow"),
                "ms",
                bench_all.Target("<=", 10),
            ),
            bench_all.Row("ok", "not produced", bench_all.key("missing"), "ms"),
        ],
    )
    return tmp_path


def test_an_error_is_reported_in_its_row_and_the_run_goes_on(stand_ins: Path) -> None:
    out = stand_ins / "results" / "latest.json"
    code = bench_all.main(["--quick", "--only", "boom,ok,gone", "--json", str(out)])
    assert code == 1
    report = json.loads(out.read_text())
    assert report["benches"]["ok"]["figures"] == {"speed": 7.5, "nested": {"slow": 12}}
    assert "the fake server went away" in report["benches"]["boom"]["error"]
    assert "absent" in report["benches"]["gone"]
    table = {row["figure"]: row for row in report["table"]}
    assert set(table) == {"speed", "slow thing", "boom: ERROR", "gone: absent"}
    assert (table["speed"]["met"], table["slow thing"]["met"]) == (True, False)
    assert len(report["load_before"]) == len(report["load_after"]) == 3
    assert report["machine"]["cores"] == os.cpu_count()


def test_a_clean_run_exits_zero_and_markdown_renders_its_table(
    stand_ins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = stand_ins / "r.json"
    assert bench_all.main(["--only", "ok", "--json", str(out)]) == 0
    capsys.readouterr()
    assert bench_all.main(["--markdown", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:] == [
        "| speed | 1 MB/s | >= 5 MB/s | NO |",
        "| slow thing | 12 ms | <= 10 ms | NO |",
    ]


def test_unknown_names_are_refused(stand_ins: Path) -> None:
    with pytest.raises(SystemExit):
        bench_all.main(["--only", "ok,nonsense"])


def test_cpu_seconds_follows_the_process_cpu_clock() -> None:
    before, clock = benchkit.cpu_seconds(os.getpid()), time.process_time()
    while time.process_time() - clock < 0.3:
        pass
    assert benchkit.cpu_seconds(os.getpid()) - before >= 0.2


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 201)]
    assert (benchkit.pct(values, 0.5), benchkit.pct(values, 0.99)) == (101.0, 199.0)
    assert benchkit.spread(values, "x") == {"x_p50_ms": 101.0, "x_p99_ms": 199.0, "x_max_ms": 200.0}


def test_uncontended_latency_keeps_only_prompts_that_did_not_wait_for_a_cpu() -> None:
    import bench_daemon

    added = [1.0, 30.0, 2.0, 25.0, 3.0]
    waited = [0.2, 28.0, 0.9, 1.0, 0.0]
    assert bench_daemon.uncontended(added, waited) == {
        "uncontended_prompts": 3,
        "added_latency_uncontended_p50_ms": 2.0,
        "added_latency_uncontended_p99_ms": 3.0,
        "added_latency_uncontended_max_ms": 3.0,
    }
    assert bench_daemon.uncontended([5.0], [2.0]) == {"uncontended_prompts": 0}


def test_runqueue_wait_sums_the_wait_of_every_thread_and_skips_vanished_ones(
    tmp_path: Path,
) -> None:
    tasks = tmp_path / "42" / "task"
    for tid, schedstat in (("42", "9000 2500000 7\n"), ("43", "100 1500000 2\n")):
        (tasks / tid).mkdir(parents=True)
        (tasks / tid / "schedstat").write_text(schedstat)
    (tasks / "44").mkdir()  # a thread that ended after the listing: no schedstat to read
    assert benchkit.runqueue_wait_ms(42, proc=tmp_path) == 4.0
