"""A Node target that exits while the runtime probe's inspector session is attached leaves at
once: Node waits for attached debuggers, and the probe lets go the moment Node says so."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from harness.collector import metrics
from harness.collector.node_probe import NodeInspectorProbe
from harness.target import INSPECT_OPTION, inspector_url

EXIT_ON_INPUT = (
    "process.stdin.once('data', () => { console.log('exiting'); process.exit(0); }); setInterval(() => {}, 1000);"
)


def _inspected_node(log_path: Path) -> tuple[subprocess.Popen[str], str]:
    log = log_path.open("w")
    node = subprocess.Popen(
        ["node", INSPECT_OPTION, "-e", EXIT_ON_INPUT], stdin=subprocess.PIPE, stdout=log, stderr=log, text=True
    )
    deadline = time.monotonic() + 10
    while (url := inspector_url(log_path)) is None:
        assert time.monotonic() < deadline, "node never printed its inspector URL"
        time.sleep(0.05)
    return node, url


def test_process_exit_with_the_inspector_attached_is_gone_within_a_second(tmp_path: Path) -> None:
    log_path = tmp_path / "target.log"
    node, url = _inspected_node(log_path)
    probe = NodeInspectorProbe(url, timeout_s=2.0)
    try:
        assert probe.sample()[metrics.NODE_INSPECTOR_UP] == 1.0  # attached, and stays so between samples
        assert node.stdin is not None
        asked = time.monotonic()
        node.stdin.write("go\n")
        node.stdin.flush()
        code = node.wait(timeout=10)
        gone_after_s = time.monotonic() - asked
        assert code == 0
        assert gone_after_s < 1.0, f"node lingered {gone_after_s:.2f} s after process.exit"
        # Node did wait for us (so the session was attached when it exited), and we let it go.
        assert "Waiting for the debugger to disconnect" in log_path.read_text()
        assert probe.sample()[metrics.NODE_INSPECTOR_UP] == 0.0  # and no reconnecting to a dying process
    finally:
        probe.close()
        node.kill()
        node.wait()


def test_the_probe_keeps_sampling_a_target_that_lives_on(tmp_path: Path) -> None:
    node, url = _inspected_node(tmp_path / "target.log")
    probe = NodeInspectorProbe(url, gc_every_s=0.01, timeout_s=2.0)
    try:
        samples = []
        for _ in range(2):
            time.sleep(0.05)  # past gc_every_s, so each sample forces a GC too
            samples.append(probe.sample())
        assert [sample[metrics.NODE_INSPECTOR_UP] for sample in samples] == [1.0, 1.0]
        assert all(sample[metrics.NODE_HEAP_AFTER_GC] > 0 for sample in samples)
        assert node.poll() is None
    finally:
        probe.close()
        node.kill()
        node.wait()
