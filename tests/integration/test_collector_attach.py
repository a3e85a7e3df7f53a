"""`soak collect` attached to a running process: a SIGKILL mid-run loses no committed tick,
and `soak report` judges what was recorded."""

from __future__ import annotations

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
    report = subprocess.run([*SOAK, "report", str(out)], check=False, capture_output=True, text=True, timeout=60)
    assert report.returncode in (0, 1, 3), report.stderr
    assert "verdict:" in report.stdout
    assert (out / "verdict.json").is_file()


def test_collect_stops_when_the_target_exits(tmp_path: Path) -> None:
    target = subprocess.Popen([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(1.5)"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert target.stdout is not None and target.stdout.readline().strip() == "ready"
    out = tmp_path / "attached"
    result = subprocess.run(
        [*SOAK, "collect", "--pid", str(target.pid), "--out", str(out), "--interval", "100 ms", "--duration", "30 s"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
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
