"""A recorded run judged as if it had stopped after so many seconds of load: the verdict of each
prefix sees only what was recorded by then, with no cool-down, and prefixes past the record are
left out; a Locust history cut mid-line still gives its curve."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from harness.analysis.model import Status
from harness.analysis.rules import UPDATES
from harness.collector import metrics
from harness.collector.store import SampleWriter
from harness.config import load_profile
from harness.evaluate import judge_run
from harness.evaluate.locust_history import HISTORY, history_curves
from harness.evaluate.prefix import judge_prefixes

ROOT = Path(__file__).resolve().parents[2]
LOAD_START_S, LOAD_END_S, END_S = 5.0, 305.0, 330.0
LEAK_FROM_S, LEAK_PER_S = 30.0, 0.2  # fds grow by one every 5 s from here on


def _events(*, finished: bool) -> list[dict[str, Any]]:
    phases = [("baseline", 1.0), ("load", LOAD_START_S)]
    if finished:
        phases += [("cooldown", LOAD_END_S), ("stop", END_S)]
    return [{"event": "phase", "phase": name, "t_s": t_s, "time": 1.7e9 + t_s} for name, t_s in phases]


def make_run(path: Path, *, ticks: int, finished: bool) -> Path:
    """A run of the smoke profile whose fds start leaking at LEAK_FROM_S, recorded for ticks seconds."""
    path.mkdir()
    spec = load_profile(ROOT / "profiles" / "smoke.toml")
    info = {"spec": spec.model_dump(by_alias=True, mode="json"), "outcome": "completed" if finished else "running"}
    (path / "run.json").write_text(json.dumps(info))
    (path / "events.jsonl").write_text("".join(json.dumps(event) + "\n" for event in _events(finished=finished)))
    writer = SampleWriter(path / "samples.db")
    for tick in range(ticks):
        leaked = float(int(LEAK_PER_S * max(0.0, min(tick, LOAD_END_S) - LEAK_FROM_S)))
        values: dict[Any, float] = {
            metrics.RSS: 80e6 + 1000 * math.sin(tick),
            metrics.FDS: 30.0 + leaked,
            metrics.ALIVE: 1.0,
            metrics.MOCK_REQUESTS: 10.0 * max(0.0, min(tick, LOAD_END_S) - LOAD_START_S),  # none in the cool-down
        }
        writer.write_tick(float(tick), 0.001, values)
    writer.close()
    return path


def _status(verdict_checks: Any, name: str) -> Status:
    return next(check.status for check in verdict_checks if check.name == name)


def test_each_prefix_sees_only_the_load_recorded_by_then(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run", ticks=int(END_S), finished=True)
    prefixes = judge_prefixes(run_dir, [60, 120, 240, 400])
    # 400 s of load were never recorded: left out, not judged on less.
    assert [prefix.load_s for prefix in prefixes] == [60, 120, 240]
    fds = [_status(prefix.verdict.checks, "fds_growth") for prefix in prefixes]
    assert fds == [Status.PASS, Status.FAIL, Status.FAIL]
    # No prefix has a cool-down, so what is left after one cannot be judged yet.
    assert all(_status(prefix.verdict.checks, "fds_residual") is Status.INCONCLUSIVE for prefix in prefixes)
    # The whole run, cool-down included, judges it: the fds never came back.
    assert _status(judge_run(run_dir).checks, "fds_residual") is Status.FAIL


def test_a_run_still_recording_is_judged_up_to_its_last_tick(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "live", ticks=200, finished=False)
    prefixes = judge_prefixes(run_dir, [60, 120, 180, 240])
    assert [prefix.load_s for prefix in prefixes] == [60, 120, 180]
    assert _status(prefixes[-1].verdict.checks, "fds_growth") is Status.FAIL
    assert not (run_dir / "verdict.json").exists()


@pytest.mark.parametrize("tail", ["", '"1700000009","Aggregated","12', '"1700000009","Aggregated","x","y"'])
def test_a_locust_history_cut_mid_line_keeps_its_curve(tmp_path: Path, tail: str) -> None:
    history = tmp_path / HISTORY
    history.parent.mkdir()
    rows = ['"Timestamp","Name","Total Request Count"']
    rows += [f'"{1_700_000_000 + second}","Aggregated","{20 * second}"' for second in range(8)]
    history.write_text("\n".join(rows) + "\n" + tail)
    curve = history_curves(tmp_path, 1_700_000_000.0)[UPDATES]
    assert curve.t_s.tolist() == [float(s) for s in range(8)] and curve.values[-1] == 140.0
