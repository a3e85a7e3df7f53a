"""The pauses soak imposes on the real reference bot are recorded with their duration, and the
verdict names them (issue 11: a census pause failed a clean run's latency with nothing to say why)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_runs import run_dir_of, soak


def test_census_and_snapshot_pauses_are_events_with_their_duration(tmp_path: Path) -> None:
    result = soak(
        "run", "profiles/smoke.toml", "--duration", "30 s", "--results", str(tmp_path),
        "--set", 'collector.listener_census_every="5 s"', "--set", 'collector.heap_snapshots="ends"',
        "--set", 'thresholds.warmup="10 s"',
    )  # fmt: skip
    run_dir = run_dir_of(result)
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    pauses = [event for event in events if event["event"] == "target_pause"]
    load_s = next(event["t_s"] for event in events if event.get("phase") == "load")
    census = [pause for pause in pauses if pause["cause"] == "listener_census"]
    assert len(census) >= 2, pauses  # every 5 s through a 30 s load, at the forced GC's cadence
    for pause in census:
        # Several full GCs and heap walks: never free, never longer than the run.
        assert 0.0 < pause["duration_s"] < 30.0 and pause["start_s"] >= load_s - 5.0, pause
        assert pause["t_s"] >= pause["start_s"] + pause["duration_s"] - 0.01  # written once it ended
    snapshots = [pause for pause in pauses if pause["cause"] == "heap_snapshot"]
    assert len(snapshots) == 2 and all(pause["duration_s"] > 0 for pause in snapshots), pauses
    verdict = json.loads((run_dir / "verdict.json").read_text())
    note = next(note for note in verdict["notes"] if note.startswith("soak paused the target"))
    assert f"listener_census {len(census)} x" in note, note
    assert "soak paused the target" in (run_dir / "summary.md").read_text()
    assert "soak paused the target: listener_census" in (run_dir / "report.html").read_text()
