"""The harness's own footprint: RSS and CPU of soak itself, the mocks and the Locust processes, so a
leak in soak is never mistaken for one in the target; their main threads' time on and waiting for a
CPU, and the machine's load per core, so a service whose mocks or load generator were saturated, or
which was starved by other work, is not mistaken for a slow one."""

from __future__ import annotations

import contextlib
import os
import threading

import psutil

from harness.collector import metrics
from harness.collector.cpu_wait import MainThreadClock
from harness.collector.store import Metric, Value


class SelfProbe:
    """Roles ('harness', 'locust') map to a root pid whose whole tree is summed."""

    name = "self"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roots: dict[str, psutil.Process] = {"harness": psutil.Process(os.getpid())}
        self._known: dict[int, psutil.Process] = {}
        self._clocks: dict[str, MainThreadClock] = {}

    def watch(self, role: str, pid: int) -> None:
        with contextlib.suppress(psutil.NoSuchProcess), self._lock:
            self._roots[role] = psutil.Process(pid)

    def sample(self) -> dict[Metric, Value]:
        with self._lock:
            roots = dict(self._roots)
        values: dict[Metric, Value] = {}
        known: dict[int, psutil.Process] = {}
        for role, root in roots.items():
            rss = cpu = 0.0
            try:
                tree = [root, *root.children(recursive=True)] if role != "harness" else [root]
            except psutil.NoSuchProcess:
                continue
            for proc in tree:
                previous = self._known.get(proc.pid, proc)
                try:
                    rss += previous.memory_info().rss
                    reading = previous.cpu_percent(None)
                except psutil.NoSuchProcess:
                    continue
                if proc.pid in self._known:  # a first reading only primes the counter
                    cpu += reading
                known[proc.pid] = previous
            values[metrics.process_rss(role)] = rss
            values[metrics.process_cpu(role)] = cpu
            clock = self._clocks.setdefault(
                role, MainThreadClock(metrics.main_thread_run(role), metrics.main_thread_wait(role))
            )
            values.update(clock.sample([root.pid]))
        self._known = known
        with contextlib.suppress(OSError):
            values[metrics.LOAD_PER_CORE] = os.getloadavg()[0] / (os.cpu_count() or 1)
        return values
