"""Children die with soak: the parent-death signal, the run's watchdog for what it cannot reach
(grandchildren), and the next run's sweep of what a killed run left behind. Real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from harness.leftovers import sweep_previous
from harness.pidfiles import PidRecord, live_members, read_records, start_ticks
from harness.procs import recording_pids, start_child
from harness.runstate import harness_identity, make_private_dir
from harness.watchdog import Watchdog

# A stand-in for `soak run`: starts one child the way the runner does, prints its pid, then waits.
FAKE_SOAK = """
import sys, time
from pathlib import Path
from harness.procs import recording_pids, start_child
from harness.watchdog import Watchdog
run_dir = Path(sys.argv[1])
if sys.argv[2] == "watchdog":
    Watchdog(run_dir / "pids", run_dir / "events.jsonl", time.monotonic())
with recording_pids(run_dir / "pids"):
    child = start_child("shell", ["sh", "-c", "sleep 60 & wait"])
print(child.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _fake_soak(run_dir: Path, mode: str) -> tuple[subprocess.Popen[str], int, int]:
    """The fake soak, its child (a shell) and the shell's own child (a sleep)."""
    soak = subprocess.Popen([sys.executable, "-c", FAKE_SOAK, str(run_dir), mode], stdout=subprocess.PIPE, text=True)
    assert soak.stdout is not None
    shell = int(soak.stdout.readline())
    assert _wait_for(lambda: bool(psutil.Process(shell).children()), 10)
    return soak, shell, psutil.Process(shell).children()[0].pid


def test_a_child_dies_with_soak_by_the_parent_death_signal(tmp_path: Path) -> None:
    soak, shell, sleeper = _fake_soak(tmp_path, "plain")
    try:
        soak.kill()
        soak.wait()
        assert _wait_for(lambda: not _alive(shell), 5), "the child outlived soak's SIGKILL"
        # The grandchild is out of the signal's reach: that is the watchdog's job (next test).
        assert _alive(sleeper)
    finally:
        os.killpg(shell, signal.SIGKILL)


def test_the_watchdog_stops_the_whole_group_when_soak_is_killed(tmp_path: Path) -> None:
    soak, shell, sleeper = _fake_soak(tmp_path, "watchdog")
    soak.kill()
    soak.wait()
    assert _wait_for(lambda: not _alive(shell) and not _alive(sleeper), 5), "the run's processes outlived soak"
    assert _wait_for((tmp_path / "events.jsonl").exists, 5)
    lost = json.loads((tmp_path / "events.jsonl").read_text().splitlines()[-1])
    assert lost["event"] == "harness_lost" and lost["stopped"] == [f"shell (pid {shell})"]
    assert not (tmp_path / "pids").exists()


def test_a_released_watchdog_leaves_quietly(tmp_path: Path) -> None:
    watchdog = Watchdog(tmp_path / "pids", tmp_path / "events.jsonl", time.monotonic())
    with recording_pids(tmp_path / "pids"):
        child = start_child("sleeper", ["sleep", "60"])
    pid_file = next((tmp_path / "pids").glob("sleeper-*.json"))
    child.stop(timeout_s=5)
    assert not pid_file.exists()  # a stopped child leaves no pid file behind
    watchdog.release()
    assert not _alive(watchdog.pid)
    assert not (tmp_path / "events.jsonl").exists()


def test_a_reused_pid_is_not_taken_for_a_recorded_child() -> None:
    me = os.getpid()
    assert live_members(PidRecord("me", me, start_ticks(me)))
    ticks = start_ticks(me)
    assert ticks is not None
    assert live_members(PidRecord("other", me, ticks + 1)) == []


def _run_dir(results: Path, name: str, harness: dict[str, int | None]) -> tuple[Path, int]:
    """A run dir as a soak leaves it mid-run: run.json, a private folder and a child with its pid file."""
    run_dir = results / name
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"outcome": "running", "harness": harness}))
    make_private_dir(run_dir)
    with recording_pids(run_dir / "pids"):
        child = start_child("shell", ["sh", "-c", "sleep 60 & wait"])
    return run_dir, child.pid


def test_the_next_run_stops_what_a_killed_run_left_and_spares_a_live_one(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_harness = {"pid": int(gone.stdout), "start_ticks": 1}
    killed, orphan = _run_dir(tmp_path, "killed", dead_harness)
    live, running = _run_dir(tmp_path, "live", harness_identity())  # this test process plays its soak
    try:
        assert _wait_for(lambda: bool(psutil.Process(orphan).children()), 10)
        grandchild = psutil.Process(orphan).children()[0].pid
        lines = sweep_previous(tmp_path)
        assert lines == [
            f"previous run {killed} was left behind by a soak that is gone: "
            f"stopped shell (pid {orphan}); removed its private folder; marked it killed"
        ]
        assert _wait_for(lambda: not _alive(orphan) and not _alive(grandchild), 5)
        assert not (killed / "private").exists() and not (killed / "pids").exists()
        assert json.loads((killed / "run.json").read_text())["outcome"] == "killed"
        assert _alive(running) and (live / "private").is_dir() and read_records(live / "pids")
    finally:
        os.killpg(running, signal.SIGKILL)
