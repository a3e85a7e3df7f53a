"""The process tree is re-discovered every tick: children and grandchildren that come and go."""

from __future__ import annotations

import subprocess
import sys
import time

from harness.collector import metrics
from harness.collector.process_probe import ProcessProbe
from harness.collector.procfs import descendants

# A parent that starts a child which starts a grandchild (living 1 s, then reaped), and prints their pids.
TREE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import subprocess, sys, time; g = subprocess.Popen(['sleep', '1']); "
    "print(g.pid, flush=True); g.wait(); time.sleep(30)"],
    stdout=subprocess.PIPE, text=True)
grandchild = child.stdout.readline().strip()
print(child.pid, grandchild, flush=True)
time.sleep(30)
"""


def test_descendants_and_probe_follow_the_tree() -> None:
    parent = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child_pid, grandchild_pid = (int(word) for word in parent.stdout.readline().split())
        assert sorted(descendants(parent.pid) or []) == sorted([child_pid, grandchild_pid])
        probe = ProcessProbe(parent.pid)
        assert probe.sample()[metrics.PROCESSES] == 3
        deadline = time.monotonic() + 10
        while grandchild_pid in (descendants(parent.pid) or []):  # until it exits and is reaped
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert probe.sample()[metrics.PROCESSES] == 2
    finally:
        parent.kill()
        parent.wait()
