"""Heap snapshots: how long one pauses a Node process, and the parser's time and peak memory.

A Node process holds about 200 MB of mixed objects (benchmarks/heap_holder.js); soak takes its
snapshot over the inspector (the target is paused for all of it) and parses it in a child
process, whose peak RSS is the parser's (it must stay under 300 MB). The baseline is json.load
of a small snapshot (about the reference bot's size) against the streaming parser on the same
file, in the same run. Medians of a few runs; `--hold-mb` sizes the big heap.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.heapsnap.take import InspectorSession, take_snapshot
from harness.target import INSPECT_OPTION

HOLDER = Path(__file__).with_name("heap_holder.js")
ROOT = Path(__file__).resolve().parents[1]
RUNS = 3

# Each measurement runs in a fresh interpreter, so ru_maxrss is that step's own peak.
_STEP = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
step, a, b = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if step == "json":
    json.loads(a.read_bytes())
elif step == "parse":
    from harness.heapsnap.snapshot import load_snapshot
    load_snapshot(a)
else:
    from harness.heapsnap.diff import diff_files
    diff_files(a, b)
print(json.dumps({"s": time.perf_counter() - t0, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_step(step: str, a: Path, b: Path | None = None) -> tuple[float, float]:
    """Median seconds and highest peak RSS (MiB) over RUNS fresh processes."""
    runs = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", _STEP, step, str(a), str(b or a)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return statistics.median(r["s"] for r in runs), max(r["rss_mib"] for r in runs)


def holder(hold_mb: int, work_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """A Node process holding hold_mb of objects, and its inspector's ws:// URL."""
    log = (work_dir / f"holder-{hold_mb}.log").open("w")
    proc = subprocess.Popen(
        ["node", INSPECT_OPTION, str(HOLDER)],
        env={"HOLD_MB": str(hold_mb), "PATH": "/usr/local/bin:/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if not ready.startswith("ready"):
        proc.kill()
        raise RuntimeError(f"holder did not start: {ready!r}")
    text = (work_dir / f"holder-{hold_mb}.log").read_text()
    url = next(word for word in text.split() if word.startswith("ws://"))
    return proc, url


def snapshots(hold_mb: int, work_dir: Path, count: int) -> tuple[list[float], Path]:
    proc, url = holder(hold_mb, work_dir)
    session = InspectorSession(url)
    try:
        pauses = [take_snapshot(session, work_dir / f"h{hold_mb}-{i}.heapsnapshot").pause_s for i in range(count)]
    finally:
        session.close()
        proc.kill()
        proc.wait()
    return pauses, work_dir / f"h{hold_mb}-0.heapsnapshot"


def main(hold_mb: int = 200) -> None:
    with tempfile.TemporaryDirectory(prefix="soak-heapbench-") as tmp:
        work_dir = Path(tmp)
        started = time.monotonic()
        small_pauses, small = snapshots(20, work_dir, RUNS)
        big_pauses, big = snapshots(hold_mb, work_dir, 1)
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
        print(f"heap snapshots (Node {node}; the target is paused for all of a snapshot)")
        small_mib, big_mib = small.stat().st_size / 2**20, big.stat().st_size / 2**20
        print(
            f"  pause: {statistics.median(small_pauses):.2f} s for a 20 MB heap ({small_mib:.0f} MiB file), "
            f"{big_pauses[0]:.1f} s for a {hold_mb} MB heap ({big_mib:.0f} MiB file)"
        )
        json_s, json_mib = measure_step("json", small)
        ours_s, ours_mib = measure_step("parse", small)
        print(
            f"  20 MB heap: json.load {json_s:.2f} s, peak {json_mib:.0f} MiB; streaming parser {ours_s:.2f} s, "
            f"peak {ours_mib:.0f} MiB ({ours_mib / json_mib:.2f}x the memory, {ours_s / json_s:.2f}x the time)"
        )
        parse_s, parse_mib = measure_step("parse", big)
        diff_s, diff_mib = measure_step("diff", big, big)
        print(
            f"  {hold_mb} MB heap: parse and summary {parse_s:.1f} s, peak {parse_mib:.0f} MiB; "
            f"diff of two (with retainer paths) {diff_s:.1f} s, peak {diff_mib:.0f} MiB (limit 300 MiB)"
        )
        print(f"  ({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hold-mb", type=int, default=200)
    main(parser.parse_args().hold_mb)
