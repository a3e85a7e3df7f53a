"""The main thread's time on and waiting for a CPU, read from real processes sharing one core."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness.collector import metrics
from harness.collector.cpu_wait import MainThreadClock
from tests.conftest import cpu_quota_group

BUSY = "while True: pass"


@contextmanager
def _busy_loops(count: int, cpu: int) -> Iterator[list[int]]:
    """count processes spinning on one core: always runnable, on the CPU or waiting for it."""
    procs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(count)]
    try:
        for proc in procs:
            os.sched_setaffinity(proc.pid, {cpu})
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def _ratios(pid: int, over_s: float) -> tuple[float, float]:
    clock = MainThreadClock()
    assert clock.sample([pid]) == {}  # a first reading only sets the origin
    time.sleep(over_s)
    values = clock.sample([pid])
    return values[metrics.MAIN_THREAD_RUN], values[metrics.MAIN_THREAD_WAIT]


def test_a_thread_sharing_its_core_with_three_others_waits_most_of_the_time() -> None:
    cpu = min(os.sched_getaffinity(0))
    with _busy_loops(4, cpu) as pids:
        time.sleep(0.2)
        run, wait = _ratios(pids[0], over_s=1.5)
    # Always runnable: its time on the CPU and waiting for it fill the wall time between readings.
    assert 0.85 <= run + wait <= 1.1, (run, wait)
    assert wait >= 0.5 and wait > run, (run, wait)


def test_a_sleeping_process_neither_runs_nor_waits() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)
        run, wait = _ratios(sleeper.pid, over_s=0.5)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert run < 0.05 and wait < 0.05, (run, wait)


def test_processes_gone_between_readings_give_no_figure() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    clock = MainThreadClock()
    clock.sample([proc.pid])
    proc.wait()
    assert clock.sample([proc.pid]) == {}


def test_a_thread_throttled_by_a_cpu_quota_waits_for_what_the_quota_withholds() -> None:
    """In a container whose CPU quota is spent, the load average says nothing; the wait does."""
    group = cpu_quota_group(f"soak-test-{os.getpid()}", share=0.2)
    if group is None:
        pytest.skip("no writable cgroup cpu controller here")
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        try:
            (group / "cgroup.procs").write_text(str(busy.pid))
        except OSError as error:  # a nested container may let us make a group but not join it
            pytest.skip(f"cannot move a process into a cgroup here: {error}")
        time.sleep(0.3)
        run, wait = _ratios(busy.pid, over_s=1.5)
    finally:
        busy.kill()
        busy.wait()
        with contextlib.suppress(OSError):
            group.rmdir()
    assert run <= 0.3 and wait >= 0.6, (run, wait)  # measured here: run 0.20, wait 0.78
