"""`soak report` on a day-long run: wall time and peak RSS of the report process.

Builds a synthetic 24 h run at 1 Hz with soak's own writer and a real run's metrics (see
synthetic_run.py), then times `soak report` on it in a child process, several times: wall time
(median) and peak RSS (the child's ru_maxrss from wait4, i.e. RUSAGE_CHILDREN for that child).
The floor measured in the same run is a child that only imports the report's modules.
Targets: <= 5 s and <= 300 MiB for 24 h; a 7-day run (`--days 7`, several minutes to build) <= 60 s.

    python -m benchmarks.report_scale [--days N] [--dense] [--runs N] [--keep DIR]
    python -m benchmarks.report_scale --catalogue-from RUN_DIR   # refresh run_catalogue.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import load_line
from benchmarks.synthetic_run import CATALOGUE, Timeline, build_run, catalogue_of, recorded
from harness.collector.store import SampleWriter
from harness.rundir import SAMPLES
from tests.unit.legacy_store import Schema2Writer

SOAK = str(Path(sys.executable).parent / "soak")
IMPORTS_ONLY = [sys.executable, "-c", "import harness.evaluate, harness.report.render, harness.cli"]


def run_child(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS in MiB and exit code of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.stderr is not None
    error = child.stderr.read().decode(errors="replace").strip()
    if child.returncode not in (0, 1, 3):
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}: {error}")
    return wall_s, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode


def _median_of(argv: list[str], runs: int) -> tuple[float, float, float, int]:
    results = [run_child(argv) for _ in range(runs)]
    wall_s, cpu_s = (statistics.median(r[i] for r in results) for i in (0, 1))
    return wall_s, cpu_s, max(r[2] for r in results), results[-1][3]


def measure(run_dir: Path, days: float, runs: int) -> None:
    print(f"  before: {load_line()}")
    floor_s, floor_cpu_s, floor_mib, _ = _median_of(IMPORTS_ONLY, runs)
    wall_s, cpu_s, peak_mib, code = _median_of([SOAK, "report", str(run_dir)], runs)
    html_mib = (run_dir / "report.html").stat().st_size / 2**20
    verdict = json.loads((run_dir / "verdict.json").read_text())["status"]
    target_s, target_mib = (5.0, 300.0) if days <= 1 else (60.0, None)
    print(f"soak report on {days:g} day(s) at 1 Hz: {wall_s:.2f} s wall, {cpu_s:.2f} s CPU (medians of {runs}; "
          f"target <= {target_s:.0f} s), peak RSS {peak_mib:.0f} MiB"
          + (f" (target <= {target_mib:.0f} MiB)" if target_mib else ""))  # fmt: skip
    print(f"  floor (python + the report's imports): {floor_s:.2f} s wall, {floor_cpu_s:.2f} s CPU, "
          f"{floor_mib:.0f} MiB; report = {cpu_s / floor_cpu_s:.1f}x the floor's CPU, "
          f"{peak_mib / floor_mib:.1f}x its RSS")  # fmt: skip
    print(f"  verdict {verdict} (exit {code}; random synthetic values, the verdict says nothing); "
          f"report.html {html_mib:.2f} MiB")  # fmt: skip
    print(f"  after: {load_line()}")


def bench(days: float, dense: bool, runs: int, keep: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="soak-bench-report-") as tmp:
        run_dir = (keep or Path(tmp)) / f"synthetic-{days:g}d{'-dense' if dense else ''}"
        started = time.perf_counter()
        costs_s = build_run(run_dir, days * 86400, dense)
        build_s = time.perf_counter() - started
        samples = _sample_count(run_dir)
        print(f"built {run_dir.name}: {len(costs_s):,} ticks, {samples:,} samples, "
              f"{(run_dir / SAMPLES).stat().st_size / 2**20:.0f} MiB samples.db in {build_s:.0f} s")  # fmt: skip
        print(f"  write_tick while building: {_summary_ms(costs_s)}")
        measure(run_dir, days, runs)


def _summary_ms(costs_s: list[float]) -> str:
    ordered = sorted(cost * 1e3 for cost in costs_s)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    mean = sum(ordered) / len(ordered)
    return f"median {statistics.median(ordered):.3f} ms, mean {mean:.3f} ms, p99 {p99:.2f} ms, max {ordered[-1]:.1f} ms"


def compare_writers(hours: float) -> None:
    """write_tick of schema 3 against schema 2 on the same ticks, alternating, so both see the same machine."""
    writers = {"schema 3": SampleWriter, "schema 2": Schema2Writer}
    costs: dict[str, list[float]] = {name: [] for name in writers}
    with tempfile.TemporaryDirectory(prefix="soak-bench-writers-") as tmp:
        opened = {name: make(Path(tmp) / f"{name[-1]}.db") for name, make in writers.items()}
        for t_s, lateness_s, values in recorded(Timeline(hours * 3600, baseline_s=0, cooldown_s=0), dense=False):
            for name, writer in opened.items():
                started = time.perf_counter()
                writer.write_tick(t_s, lateness_s, values)
                costs[name].append(time.perf_counter() - started)
        for name, writer in opened.items():
            writer.close()
            size_mib = (Path(tmp) / f"{name[-1]}.db").stat().st_size / 2**20
            print(f"  write_tick {name}: {_summary_ms(costs[name])}; {size_mib:.1f} MiB")
    ratio = sum(costs["schema 3"]) / sum(costs["schema 2"])
    print(f"  schema 3 / schema 2 total write time: {ratio:.2f} (packing included)")


def _sample_count(run_dir: Path) -> int:
    import sqlite3

    db = sqlite3.connect(run_dir / SAMPLES)
    packed = db.execute("SELECT COALESCE(SUM(LENGTH(values_f64le)), 0) / 8 FROM packed").fetchone()[0]
    unpacked = db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    db.close()
    return int(packed) + int(unpacked)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=1.0, help="run length in days (7: the weekly figure)")
    parser.add_argument("--dense", action="store_true", help="every metric at every tick (the worst case)")
    parser.add_argument("--runs", type=int, default=3, help="report runs to take the median of")
    parser.add_argument("--keep", type=Path, help="build the run here and keep it")
    parser.add_argument("--catalogue-from", type=Path, help="write run_catalogue.json from a real run dir")
    parser.add_argument("--report-only", type=Path, help="only time `soak report` on this existing run dir")
    parser.add_argument("--writer-hours", type=float, default=2.0, help="hours of ticks to compare the writers on")
    args = parser.parse_args(argv)
    if args.catalogue_from:
        lines = ",\n".join(json.dumps(entry) for entry in catalogue_of(args.catalogue_from))
        CATALOGUE.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
        print(f"wrote {CATALOGUE}")
    elif args.report_only:
        measure(args.report_only, args.days, args.runs)  # --days only labels the figures here
    else:
        print("sample store: writing a tick, schema 3 against schema 2 (shared 2-core machine: noisy figures)")
        compare_writers(args.writer_hours)
        print("soak report on a long run")
        bench(args.days, args.dense, args.runs, args.keep)


if __name__ == "__main__":
    main()
