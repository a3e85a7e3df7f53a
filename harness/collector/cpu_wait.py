"""How much of the wall time a process's main threads ran on a CPU, and how much they were runnable
but waited for one: what tells a service starved of CPU by other work from a slow one, and soak's
own mocks or Locust saturated from a slow service, on any machine (a load average is machine-wide,
and says nothing inside a container's CPU quota)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from harness.collector import metrics
from harness.collector.procfs import schedstat_ns
from harness.collector.store import Metric, Value

NS_PER_S = 1e9


class MainThreadClock:
    """Per process, the last schedstat reading; each reading after the first gives ratios."""

    def __init__(self, run: Metric = metrics.MAIN_THREAD_RUN, wait: Metric = metrics.MAIN_THREAD_WAIT) -> None:
        self._last: dict[int, tuple[int, int, float]] = {}
        self._run, self._wait = run, wait

    def sample(self, pids: Iterable[int]) -> dict[Metric, Value]:
        now_s = time.monotonic()
        run_ratio = wait_ratio = 0.0
        read: dict[int, tuple[int, int, float]] = {}
        for pid in pids:
            reading = schedstat_ns(pid)
            if reading is None:
                continue
            read[pid] = (*reading, now_s)
            previous = self._last.get(pid)
            if previous is None or now_s <= previous[2]:
                continue  # a first reading only sets the origin
            elapsed_ns = (now_s - previous[2]) * NS_PER_S
            run_ratio += (reading[0] - previous[0]) / elapsed_ns
            wait_ratio += (reading[1] - previous[1]) / elapsed_ns
        counted = any(pid in self._last for pid in read)
        self._last = read
        if not counted:
            return {}
        return {self._run: run_ratio, self._wait: wait_ratio}
