"""The process probe against a real child that holds a known amount of memory and files."""

import subprocess
import sys
import time
from pathlib import Path

from harness.collector import metrics
from harness.collector.process_probe import ProcessProbe

HOLDER = """
import os, sys, time
block = bytearray(int(sys.argv[1]))
for i in range(0, len(block), 4096):
    block[i] = 1
files = [open(os.devnull) for _ in range(int(sys.argv[2]))]
print("ready", flush=True)
time.sleep(60)
"""


def _start_holder(bytes_held: int, files: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(bytes_held), str(files)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def test_probe_sees_memory_and_fds_the_child_holds(tmp_path: Path) -> None:
    small, big = _start_holder(1 << 20, 2), _start_holder(101 << 20, 52)
    try:
        small_sample = ProcessProbe(small.pid).sample()
        big_sample = ProcessProbe(big.pid).sample()
    finally:
        small.kill()
        big.kill()
    rss_delta = big_sample[metrics.RSS] - small_sample[metrics.RSS]
    assert abs(rss_delta - (100 << 20)) < (8 << 20), rss_delta
    assert big_sample[metrics.FDS] - small_sample[metrics.FDS] == 50
    assert big_sample[metrics.ALIVE] == 1.0


def test_probe_reports_a_dead_target() -> None:
    child = _start_holder(1 << 20, 0)
    probe = ProcessProbe(child.pid)
    child.kill()
    child.wait()
    time.sleep(0.05)
    assert probe.sample() == {metrics.ALIVE: 0.0}
