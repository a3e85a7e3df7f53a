"""`soak collect` attached to a running process: a SIGKILL mid-run loses no committed tick,
and `soak report` judges what was recorded."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from harness.collector import metrics
from harness.collector.store import SampleReader, StoreError

SOAK = [sys.executable, "-c", "from harness.cli import main; main()"]
HOLDER = "import time; block = bytearray(8 << 20); print('ready', flush=True); time.sleep(120)"


def _ticks(db: Path) -> int:
    try:
        reader = SampleReader(db)
    except StoreError:
        return 0
    try:
        return reader.tick_count()
    except sqlite3.OperationalError:
        return 0
    finally:
        reader.close()


def _wait_for_ticks(db: Path, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _ticks(db) < count:
        assert time.monotonic() < deadline, f"fewer than {count} ticks after {timeout_s} s"
        time.sleep(0.1)


def test_sigkill_keeps_every_tick_and_report_judges_it(tmp_path: Path) -> None:
    target = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    assert target.stdout is not None and target.stdout.readline().strip() == "ready"
    out = tmp_path / "attached"
    collector = subprocess.Popen(
        [*SOAK, "collect", "--pid", str(target.pid), "--out", str(out), "--interval", "100 ms"],
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_ticks(out / "samples.db", 12, timeout_s=30)
        collector.send_signal(signal.SIGKILL)
        collector.wait(timeout=10)
    finally:
        collector.kill()
        target.kill()
        target.wait()
    reader = SampleReader(out / "samples.db")
    ticks = reader.tick_count()
    rss = reader.series(metrics.RSS.name)
    alive = reader.series(metrics.ALIVE.name)
    assert ticks >= 12
    # One transaction per tick: every committed tick carries the whole process sample.
    assert rss is not None and len(rss.values) == ticks and min(rss.values) > 8 << 20
    assert alive is not None and set(alive.values) == {1.0}
    reader.close()
    assert '"outcome": "running"' in (out / "run.json").read_text()  # killed: no word from the collector
    report = subprocess.run([*SOAK, "report", str(out)], check=False, capture_output=True, text=True, timeout=60)
    assert report.returncode in (0, 1, 3), report.stderr
    assert "verdict:" in report.stdout
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["partial"]["state"] == "killed"
    assert "partial: stopped at" in (out / "summary.md").read_text()
    assert json.loads((out / "run.json").read_text())["outcome"] == "killed"


def test_collect_stops_when_the_target_exits(tmp_path: Path) -> None:
    out = tmp_path / "attached"
    # Exits a second after the collector's store appears (at most 60 s), so a slow start of
    # `soak collect` on a loaded machine does not find the target already gone.
    lives = (
        "import pathlib, time; print('ready', flush=True); db = pathlib.Path({!r}); end = time.time() + 60\n"
        "while not db.exists() and time.time() < end: time.sleep(0.05)\n"
        "time.sleep(1.0)".format(str(out / "samples.db"))
    )
    target = subprocess.Popen([sys.executable, "-c", lives], stdout=subprocess.PIPE, text=True)
    assert target.stdout is not None and target.stdout.readline().strip() == "ready"
    result = subprocess.run(
        [*SOAK, "collect", "--pid", str(target.pid), "--out", str(out), "--interval", "100 ms", "--duration", "90 s"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    target.wait()
    assert result.returncode == 0, result.stderr
    reader = SampleReader(out / "samples.db")
    alive = reader.series(metrics.ALIVE.name)
    assert alive is not None and alive.values[0] == 1.0
    assert '"outcome": "completed"' in (out / "run.json").read_text()


def test_collect_refuses_a_missing_pid(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    result = subprocess.run(
        [*SOAK, "collect", "--pid", str(dead.pid), "--out", str(tmp_path / "x")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"soak: error: no process with pid {dead.pid}"


LEAKER = """import time
keep = []
print('ready', flush=True)
while True:
    keep.append(bytearray(1 << 20))
    time.sleep(0.1)
"""
FAST_PROFILE = """
[run]
interval = "100 ms"
[thresholds]
warmup = "0 s"
window = "1 s"
min_windows = 5
rss_slope_max = "64 MiB/h"
fds_growth_max = 4
[collector]
inspector = false
"""


def _collect(target: subprocess.Popen[str], out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert target.stdout is not None and target.stdout.readline().strip() == "ready"
    argv = [*SOAK, "collect", "--pid", str(target.pid), "--out", str(out), *args]
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)


def test_collect_with_a_profile_judges_with_its_thresholds(tmp_path: Path) -> None:
    profile = tmp_path / "attached.toml"
    profile.write_text(FAST_PROFILE)
    verdicts = {}
    for name, code in (("leaker", LEAKER), ("holder", HOLDER)):
        target = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        try:
            result = _collect(target, tmp_path / name, "--duration", "8 s", "--profile", str(profile))
        finally:
            target.kill()
            target.wait()
        verdicts[name] = result
        checks = json.loads((tmp_path / name / "verdict.json").read_text())["checks"]
        limits = {check["name"]: check["limit"] for check in checks}
        assert limits["rss_slope"] == 64 * 2**20 / 3600 and limits["fds_growth"] == 4
    assert verdicts["leaker"].returncode == 1, verdicts["leaker"].stdout + verdicts["leaker"].stderr
    assert "FAIL         rss_slope" in verdicts["leaker"].stdout
    assert verdicts["holder"].returncode == 0, verdicts["holder"].stdout + verdicts["holder"].stderr


def test_report_on_a_collected_run_without_profile_applies_default_resource_checks(tmp_path: Path) -> None:
    target = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    out = tmp_path / "attached"
    try:
        collected = _collect(target, out, "--duration", "2 s", "--interval", "100 ms")
    finally:
        target.kill()
        target.wait()
    assert collected.returncode == 0 and "default resource limits" in collected.stdout
    report = subprocess.run([*SOAK, "report", str(out)], check=False, capture_output=True, text=True, timeout=60)
    # Two seconds are too few to judge a trend: inconclusive, never a pass on target_alive alone.
    assert report.returncode == 3, report.stdout + report.stderr
    checks = {c["name"]: c for c in json.loads((out / "verdict.json").read_text())["checks"]}
    resource_checks = {"rss_slope", "fds_growth", "sockets_growth", "threads_growth"}
    assert set(checks) == {"target_alive", *resource_checks, "resource_screen"}
    assert checks["resource_screen"]["status"] == "inconclusive"  # too short to screen the other curves
    assert checks["fds_growth"]["limit"] == 16 and checks["threads_growth"]["limit"] == 8
    assert checks["rss_slope"]["limit"] == 8 * 2**20 / 3600
    for name in ("rss_slope", "fds_growth", "sockets_growth", "threads_growth"):
        assert f"INCONCLUSIVE {name}" in report.stdout


def test_collect_refuses_an_interval_under_50_ms(tmp_path: Path) -> None:
    for interval in ("0 s", "10 ms"):
        result = subprocess.run(
            [*SOAK, "collect", "--pid", str(os.getpid()), "--out", str(tmp_path / "x"), "--interval", interval],
            check=False,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"soak: error: --interval must be at least 50 ms (got {interval.split()[0]} ms)"
        ]
    assert not (tmp_path / "x").exists()
