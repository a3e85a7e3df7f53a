"""Whole runs whose processes die: the target mid-load, soak itself (SIGKILL), the target at start."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil

from tests.conftest import shipped_profile_text
from tests.e2e.test_runs import smoke_run_under_load, soak


def _events(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _run_pids(run_dir: Path) -> dict[str, int]:
    info = json.loads((run_dir / "run.json").read_text())
    parts = ("redis", "mocks", "target", "locust", "watchdog")
    return {part: info[part]["pid"] for part in parts if part in info}


def test_target_sigkilled_mid_load_fails_target_alive_with_the_signal_and_log_tail(tmp_path: Path) -> None:
    proc, run_dir = smoke_run_under_load(tmp_path)
    os.kill(_run_pids(run_dir)["target"], signal.SIGKILL)
    killed_at = time.monotonic()
    stdout, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 1, stdout + stderr
    # No cool-down spent posting to a dead port: the run ends within seconds of the death.
    assert time.monotonic() - killed_at < 30
    events = _events(run_dir)
    death = next(e for e in events if e["event"] == "target_exit")
    assert death["signal"] == "SIGKILL" and death["cause"] == "SIGKILL"
    assert any('"msg":"listening"' in line for line in death["log_tail"])  # type: ignore[union-attr]
    assert not any(e["event"] == "phase" and e["phase"] == "cooldown" for e in events)
    locust_stop = next(e for e in events if e["event"] == "stopped" and e["process"] == "locust")
    assert float(locust_stop["t_s"]) - float(death["t_s"]) < 15  # type: ignore[arg-type]

    verdict = json.loads((run_dir / "verdict.json").read_text())
    alive = next(c for c in verdict["checks"] if c["name"] == "target_alive")
    assert alive["status"] == "fail" and "SIGKILL" in alive["detail"]
    assert alive["evidence"][0].startswith("last ") and len(alive["evidence"]) > 1
    assert verdict["target_exit"]["cause"] == "SIGKILL" and verdict["partial"] is None
    summary = (run_dir / "summary.md").read_text()
    assert "target exited with SIGKILL" in summary and '"msg":"listening"' in summary
    assert "target exited with SIGKILL" in (run_dir / "report.html").read_text()
    assert "FAIL         target_alive: target exited with SIGKILL" in stdout


def test_sigkill_of_soak_leaves_nothing_running_and_the_next_run_tidies_up(tmp_path: Path) -> None:
    proc, run_dir = smoke_run_under_load(tmp_path)
    pids = _run_pids(run_dir)
    assert set(pids) == {"redis", "mocks", "target", "locust", "watchdog"}
    assert len(list((run_dir / "pids").glob("*.json"))) == 4
    assert (run_dir / "private").stat().st_mode & 0o777 == 0o700
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while (left := [name for name, pid in pids.items() if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"still running 5 s after soak was killed: {left}"
    assert json.loads((run_dir / "run.json").read_text())["outcome"] == "running"  # soak had no word to say

    # The next run under the same results dir tidies up (this one fails at once: its target cannot start).
    failing = tmp_path / "failing.toml"
    text = shipped_profile_text("smoke.toml")
    command = '["node", "-e", "console.error(\'boom: no config\'); process.exit(1)"]'
    failing.write_text(text.replace('command = ["node", "src/index.js"]', f"command = {command}"))
    again = soak("run", str(failing), "--results", str(tmp_path))
    assert again.returncode == 2
    assert f"previous run {run_dir} was left behind by a soak that is gone" in again.stderr
    assert "removed its private folder" in again.stderr and "marked it killed" in again.stderr
    assert not (run_dir / "private").exists()
    # A start failure says why, with the target's last words, and no `soak report` for nothing.
    assert "target exited with code 1 before health" in again.stderr and "boom: no config" in again.stderr
    assert "soak report" not in again.stderr and "nothing to judge" in again.stdout

    report = soak("report", str(run_dir))
    assert report.returncode in (0, 1, 3), report.stderr
    info = json.loads((run_dir / "run.json").read_text())
    assert info["outcome"] == "killed"
    summary = (run_dir / "summary.md").read_text()
    assert "partial: stopped at" in summary and "SIGKILL" in summary
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["partial"]["state"] == "killed"
    lost = next(e for e in _events(run_dir) if e["event"] == "harness_lost")
    # Judged up to soak's last tick, before the watchdog noticed it was gone.
    assert verdict["partial"]["stopped_at_s"] <= float(lost["t_s"])  # type: ignore[arg-type]
