"""Process-tree probe: the target and its descendants, re-discovered every tick."""

from __future__ import annotations

import contextlib

import psutil

from harness.collector import metrics
from harness.collector.store import Metric


class ProcessProbe:
    """Sums resources over the target's process tree; remembers Process objects so CPU % works."""

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {}
        self.gone = False

    def _tree(self) -> list[psutil.Process]:
        procs = [self._root, *self._root.children(recursive=True)]
        fresh: dict[int, psutil.Process] = {}
        for proc in procs:
            known = self._known.get(proc.pid)
            # A first cpu_percent() call only primes the counter, so keep the primed object.
            fresh[proc.pid] = known if known is not None and known.is_running() else _primed(proc)
        self._known = fresh
        return list(fresh.values())

    def sample(self) -> dict[Metric, float]:
        if self.gone:
            return {metrics.ALIVE: 0.0}
        try:
            procs = self._tree()
        except psutil.NoSuchProcess:
            self.gone = True
            return {metrics.ALIVE: 0.0}
        totals = {metrics.RSS: 0.0, metrics.FDS: 0.0, metrics.TCP: 0.0, metrics.THREADS: 0.0, metrics.CPU: 0.0}
        for proc in procs:
            _add_process(proc, totals)
        totals[metrics.PROCESSES] = float(len(procs))
        totals[metrics.ALIVE] = 1.0
        return totals


def _primed(proc: psutil.Process) -> psutil.Process:
    with contextlib.suppress(psutil.Error):
        proc.cpu_percent(None)
    return proc


def _add_process(proc: psutil.Process, totals: dict[Metric, float]) -> None:
    """Add one process's figures; one that exits mid-tick simply contributes nothing."""
    try:
        with proc.oneshot():
            totals[metrics.RSS] += proc.memory_info().rss
            totals[metrics.FDS] += proc.num_fds()
            totals[metrics.THREADS] += proc.num_threads()
            totals[metrics.CPU] += proc.cpu_percent(None)
        totals[metrics.TCP] += len(proc.net_connections(kind="tcp"))
    except psutil.NoSuchProcess:
        return
