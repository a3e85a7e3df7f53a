"""The typed documents of a run directory: what writers emit reads back as the same model, the
previous verdict schema is still read, and a document off its shape is one line naming the field."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.documents.events import EventLog, HarnessStopEvent, PhaseEvent, TargetExitEvent, read_events
from harness.documents.run_info import write_run_info
from harness.documents.verdict import read_verdict
from harness.rundir import RunFileError


def test_events_written_as_models_read_back_as_them(tmp_path: Path) -> None:
    log = EventLog(tmp_path, time.monotonic())
    log.emit(PhaseEvent(phase="load"))
    log.emit(TargetExitEvent(code=None, signal="SIGKILL", cause="signal SIGKILL", log_tail=["boom"]))
    log.emit(HarnessStopEvent(cause="SIGINT"))
    phase, death, stop = read_events(tmp_path)
    assert isinstance(phase, PhaseEvent) and phase.phase == "load" and phase.t_s is not None and phase.time
    assert isinstance(death, TargetExitEvent) and death.signal == "SIGKILL" and death.log_tail == ["boom"]
    assert isinstance(stop, HarnessStopEvent) and stop.cause == "SIGINT"
    first = json.loads((tmp_path / "events.jsonl").read_text().splitlines()[0])
    assert list(first)[:3] == ["event", "t_s", "time"] and first["phase"] == "load"


def test_an_event_off_its_kinds_shape_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text('{"event": "phase", "t_s": 1.0}\n{"event": "someday", "x": 1}\n')
    with pytest.raises(RunFileError, match=r"events\.jsonl line 1: phase: Field required$"):
        read_events(tmp_path)
    (tmp_path / "events.jsonl").write_text('{"event": "someday", "t_s": 2.0, "x": 1}\n')
    (unknown,) = read_events(tmp_path)  # a kind a newer soak writes is kept, untyped
    assert unknown.event == "someday" and unknown.model_extra == {"x": 1}


def test_a_schema_1_verdict_is_read_and_a_bad_one_named(tmp_path: Path) -> None:
    check = {"name": "fds_growth", "status": "fail", "figure": 40, "limit": 16.0, "unit": "fds", "span_s": [1, 2]}
    (tmp_path / "verdict.json").write_text(json.dumps({"schema_version": 1, "status": "fail", "checks": [check]}))
    verdict = read_verdict(tmp_path)
    assert verdict.schema_version == 1 and verdict.warmup_s is None and verdict.checks[0].span_s == (1.0, 2.0)
    (tmp_path / "verdict.json").write_text(json.dumps({"schema_version": 3, "checks": []}))
    with pytest.raises(RunFileError, match=r"verdict\.json: schema_version: Input should be 1 or 2$"):
        read_verdict(tmp_path)


def test_run_json_is_checked_before_it_is_written(tmp_path: Path) -> None:
    with pytest.raises(RunFileError, match=r"run\.json: spec: Field required$"):
        write_run_info(tmp_path, {"outcome": "running"})
    assert not (tmp_path / "run.json").exists()
