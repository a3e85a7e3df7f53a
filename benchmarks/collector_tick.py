"""Cost of one collector tick (process probe + one SQLite transaction), against a bare
memory_info() call measured in the same run as the baseline."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import psutil

from harness.collector.process_probe import ProcessProbe
from harness.collector.store import SampleWriter

ROUNDS = 5
TICKS_PER_ROUND = 200


def _median_us(fn: object, count: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(count):
            fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(samples)


def main() -> None:
    me = psutil.Process()
    probe = ProcessProbe(me.pid)
    with tempfile.TemporaryDirectory() as tmp:
        writer = SampleWriter(Path(tmp) / "bench.db")
        t0 = time.monotonic()

        def tick() -> None:
            writer.write_tick(time.monotonic() - t0, 0.0, probe.sample())

        baseline_us = _median_us(me.memory_info, TICKS_PER_ROUND)
        tick_us = _median_us(tick, TICKS_PER_ROUND)
        writer.close()
    print(f"collector tick (process probe + store write): median {tick_us:.0f} us over {ROUNDS} rounds")
    print(f"baseline memory_info():                      median {baseline_us:.1f} us")
    print(f"ratio tick / baseline:                        {tick_us / baseline_us:.1f}x")
    print(f"CPU at 1 Hz from the tick alone:              {tick_us / 1e4:.3f} % of one core")
