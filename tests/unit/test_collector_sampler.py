"""The tick schedule: a slow probe runs on its own thread and never delays the process sample."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from harness.collector import metrics
from harness.collector.sampler import Sampler, Slow
from harness.collector.store import Metric, SampleReader, SampleWriter, Value

FAST = Metric("test.fast", "count", "test")
SLOW = Metric("test.slow", "count", "test")


class Counting:
    def __init__(self, metric: Metric, sleep_s: float) -> None:
        self.metric, self.sleep_s, self.calls = metric, sleep_s, 0
        self.lock = threading.Lock()

    def sample(self) -> dict[Metric, Value]:
        time.sleep(self.sleep_s)
        with self.lock:
            self.calls += 1
            return {self.metric: float(self.calls)}


def test_slow_probe_does_not_hold_up_ticks(tmp_path: Path) -> None:
    writer = SampleWriter(tmp_path / "s.db")
    fast, slow = Counting(FAST, 0.0), Counting(SLOW, 0.4)
    sampler = Sampler(writer, [fast], 0.05, time.monotonic(), slow=[Slow("slow", slow, 0.1, 0.2)])
    sampler.start()
    time.sleep(1.3)
    sampler.stop()
    writer.close()
    reader = SampleReader(tmp_path / "s.db")
    fast_series, slow_series = reader.series(FAST.name), reader.series(SLOW.name)
    assert fast_series is not None and slow_series is not None
    # 26 deadlines in 1.3 s; a tick waiting for the 0.4 s probe would manage about 3.
    assert len(fast_series.values) >= 15
    # Each slow result is written once, by the tick after it arrived, never repeated.
    assert list(slow_series.values) == sorted(set(slow_series.values)) and 1 <= len(slow_series.values) <= 4
    overruns = reader.series(metrics.probe_overruns("slow").name)
    assert overruns is not None and overruns.values[-1] == len(slow_series.values)
    cost = reader.series(metrics.probe_cost("slow").name)
    assert cost is not None and min(cost.values) >= 0.4


def test_failing_slow_probe_is_counted_and_ticks_go_on(tmp_path: Path) -> None:
    class Broken:
        def sample(self) -> dict[Metric, Value]:
            raise OSError("boom")

    writer = SampleWriter(tmp_path / "s.db")
    sampler = Sampler(writer, [Counting(FAST, 0.0)], 0.05, time.monotonic(), slow=[Slow("broken", Broken(), 0.05, 1)])
    sampler.start()
    time.sleep(0.5)
    sampler.stop()
    writer.close()
    reader = SampleReader(tmp_path / "s.db")
    errors = reader.series(metrics.probe_errors("broken").name)
    assert sampler.error is None and reader.tick_count() >= 5
    assert errors is not None and errors.values[-1] >= 3


def test_an_inline_probe_that_raises_is_counted_once_noted_and_ticks_go_on(tmp_path: Path) -> None:
    """e.g. psutil's AccessDenied on one process of the tree: the other probes keep their values."""

    class Flaky:
        name = "process"

        def __init__(self) -> None:
            self.calls = 0

        def sample(self) -> dict[Metric, Value]:
            self.calls += 1
            if self.calls % 2 == 0:
                raise PermissionError(f"access denied (pid {1000 + self.calls})")
            return {SLOW: float(self.calls)}

    writer = SampleWriter(tmp_path / "s.db")
    flaky = Flaky()
    sampler = Sampler(writer, [flaky, Counting(FAST, 0.0)], 0.05, time.monotonic())
    sampler.start()
    time.sleep(0.6)
    sampler.stop()
    writer.close()
    reader = SampleReader(tmp_path / "s.db")
    fast, slow = reader.series(FAST.name), reader.series(SLOW.name)
    errors = reader.series(metrics.probe_errors("process").name)
    assert sampler.error is None and fast is not None and slow is not None and errors is not None
    assert len(fast.values) == reader.tick_count() >= 6  # the other probe never missed a tick
    assert errors.values[-1] == flaky.calls // 2 and len(slow.values) == (flaky.calls + 1) // 2
    # The message is stored once: the first one, not the latest.
    assert reader.unavailable() == {
        metrics.probe_first_error("process").name: "PermissionError: access denied (pid 1002)"
    }

    from harness.analysis.model import RecordHealth
    from harness.analysis.notes import collector_notes

    notes = collector_notes(RecordHealth(reader.lateness_s(), reader.unavailable(), tuple(reader.damage())))
    assert any("the process probe raised, first: PermissionError: access denied (pid 1002)" in n for n in notes)
