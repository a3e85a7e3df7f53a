"""Running one cell: `soak run` of its profile in a child process, judged live as if it had
stopped at each checkpoint of its load; the first checkpoint where a check on resources or work
fails stops it (SIGINT: soak stops everything and keeps the record). The record is then judged
again at every checkpoint, after the fact, for the results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.detect.cells import Cell
from benchmarks.detect.outcome import CellOutcome, Judged, checkpoints_s
from benchmarks.detect.profile import ROOT, Timing, cell_overrides
from harness.accounting.records import UPDATES, UpdateRecord, read_typed
from harness.evaluate import judge_run
from harness.evaluate.prefix import judge_prefixes

POLL_S = 5.0
LAG_S = 15.0  # judge a checkpoint this long after it passed: Locust's history and the logs catch up
STOP_TIMEOUT_S = 180.0
START_TIMEOUT_S = 180.0  # from the child's start to the load phase


@dataclass
class Live:
    """A cell's child process and what the monitor learnt of it."""

    child: subprocess.Popen[bytes]
    results_dir: Path
    started_at: float
    run_dir: Path | None = None
    load_wall_s: float | None = None  # wall-clock time the load started
    loads: tuple[float, ...] = ()

    def find_run(self) -> None:
        if self.run_dir is None:
            # Only this child's run: the directory also holds the runs of the cell's earlier attempts.
            dirs = [p for p in self.results_dir.glob("*/run.json") if p.stat().st_mtime >= self.started_at]
            self.run_dir = max(dirs, key=lambda p: p.stat().st_mtime).parent if dirs else None
        if self.run_dir is not None and self.load_wall_s is None:
            self.load_wall_s = _load_start_wall(self.run_dir)


def _load_start_wall(run_dir: Path) -> float | None:
    try:
        lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "phase" and event.get("phase") == "load":
            return float(event["time"])
    return None


def run_cell(cell: Cell, timing: Timing, runs_dir: Path, cap_s: float | None = None) -> CellOutcome:
    """Run the cell until a check fails at a checkpoint or its cap, and judge the record."""
    load_cap_s = cap_s if cap_s is not None else cell.cap_s
    results_dir = runs_dir / cell.name
    results_dir.mkdir(parents=True, exist_ok=True)
    overrides = cell_overrides(cell.name, cell.bot_env, load_cap_s, results_dir, timing)
    log = (results_dir / "cell.log").open("ab")
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.detect.cell", json.dumps(overrides)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    live = Live(child, results_dir, time.time())
    checkpoints = checkpoints_s(load_cap_s, timing.checkpoint_every_s)
    try:
        stopped_early = _watch(live, checkpoints, cell)
    finally:
        if child.poll() is None:
            _stop(child)
        log.close()
    return _outcome(cell, live, checkpoints, stopped_early=stopped_early)


def _watch(live: Live, checkpoints: list[float], cell: Cell) -> bool:
    """Poll until the child exits; True when the cell's leak was found at a checkpoint by a check
    on its resource and the child was told to stop. Clean and benign cells run to their cap: a
    check that fails early on them may be fixed and the record judged again."""
    pending = list(checkpoints)
    while live.child.poll() is None:
        time.sleep(POLL_S)
        live.loads += (os.getloadavg()[0],)
        live.find_run()
        if live.load_wall_s is None:
            if time.time() - live.started_at > START_TIMEOUT_S:
                raise RuntimeError(f"no load phase within {START_TIMEOUT_S:.0f} s (see cell.log)")
            continue
        due = [s for s in pending if time.time() >= live.load_wall_s + s + LAG_S]
        if not due or live.run_dir is None:
            continue
        pending = pending[len(due) :]
        try:
            verdicts = judge_prefixes(live.run_dir, due[-1:])
        except Exception as exc:  # noqa: BLE001 - a file caught mid-write (a line cut short, a table
            # being written) must not end the cell: every checkpoint is judged again afterwards.
            _note(live, f"checkpoint {due[-1]:g} s not judged live: {type(exc).__name__}: {exc}")
            continue
        if any(cell.found_by_its_check(Judged.of(p.load_s, p.verdict).failed) for p in verdicts):
            _stop(live.child)
            return True
    return False


def _note(live: Live, line: str) -> None:
    with (live.results_dir / "cell.log").open("a", encoding="utf-8") as log:
        log.write(f"detect: {line}\n")


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.send_signal(signal.SIGINT)
    try:
        child.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _outcome(cell: Cell, live: Live, checkpoints: list[float], *, stopped_early: bool) -> CellOutcome:
    live.find_run()
    loads = live.loads or (os.getloadavg()[0],)
    load_average = (round(sum(loads) / len(loads), 2), round(max(loads), 2))
    code = live.child.returncode
    if live.run_dir is None:
        error = f"no run directory (exit {code}, see {live.results_dir / 'cell.log'})"
        return CellOutcome(cell.name, "", 0.0, False, None, load_average, (), None, error, _now())
    error = None if code in (0, 1, 3, 130) else f"exit {code} (see {live.results_dir / 'cell.log'})"
    ran_to_its_end = not stopped_early and code in (0, 1, 3)
    blank = CellOutcome(cell.name, str(live.run_dir), 0.0, stopped_early, None, load_average, (), None, error)
    return judge_record(blank, checkpoints, ran_to_its_end=ran_to_its_end)


def judge_record(outcome: CellOutcome, checkpoints: list[float], *, ran_to_its_end: bool) -> CellOutcome:
    """The outcome with its record judged (again) at every checkpoint, and as a whole when the run
    ran to its end (its cool-down included): after a check changed, no run is needed."""
    run_dir = Path(outcome.run_dir)
    prefixes = tuple(Judged.of(p.load_s, p.verdict) for p in judge_prefixes(run_dir, checkpoints))
    final = Judged.of(None, judge_run(run_dir)) if ran_to_its_end else None
    recorded_s, rate = _load_and_rate(run_dir)
    return replace(
        outcome, recorded_load_s=recorded_s, updates_per_s=rate, prefixes=prefixes, final=final, finished_at=_now()
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _load_and_rate(run_dir: Path) -> tuple[float, float | None]:
    """Seconds of load the updates span, and accepted updates per second over them."""
    times = [record.t for record in read_typed(run_dir / UPDATES, UpdateRecord) if record.accepted]
    if len(times) < 2:
        return 0.0, None
    span_s = max(times) - min(times)
    return round(span_s, 1), round((len(times) - 1) / span_s, 2) if span_s > 0 else None
