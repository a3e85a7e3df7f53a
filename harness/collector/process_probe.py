"""Process-tree probe: the target and its descendants, re-discovered every tick.

Every tick: RSS, CPU %, threads and fds by kind (readlink per fd). USS/PSS read smaps, which
costs far more, so they are taken on their own slower cadence.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter

import psutil

from harness.collector import metrics
from harness.collector.procfs import FdKind, fd_census
from harness.collector.store import Metric, Value


class ProcessProbe:
    """Sums resources over the target's process tree; keeps Process objects so CPU % works."""

    name = "process"

    def __init__(self, pid: int, tmp_dir: str | None = None, memory_detail_every_s: float = 10.0) -> None:
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {}
        self._tmp_prefix = tmp_dir.rstrip("/") + "/" if tmp_dir else None
        self._detail_every_s = memory_detail_every_s
        self._next_detail = time.monotonic()
        self._lock = threading.Lock()
        self._socket_inodes: frozenset[int] = frozenset()
        self.gone = False

    @property
    def root_pid(self) -> int:
        return self._root.pid

    def socket_inodes(self) -> frozenset[int]:
        """The tree's socket inodes as of the last tick (read by the TCP probe's thread)."""
        with self._lock:
            return self._socket_inodes

    def _tree(self) -> tuple[list[psutil.Process], set[int]]:
        """The live tree and the pids seen for the first time (whose CPU % is not yet valid)."""
        procs = [self._root, *self._root.children(recursive=True)]
        fresh: dict[int, psutil.Process] = {}
        new_pids: set[int] = set()
        for proc in procs:
            known = self._known.get(proc.pid)
            if known is not None and known.is_running():
                fresh[proc.pid] = known
            else:
                # The first cpu_percent() only primes the counter: its reading is dropped.
                with contextlib.suppress(psutil.Error):
                    proc.cpu_percent(None)
                fresh[proc.pid] = proc
                new_pids.add(proc.pid)
        self._known = fresh
        return list(fresh.values()), new_pids

    def sample(self) -> dict[Metric, Value]:
        if self.gone:
            return {metrics.ALIVE: 0.0}
        try:
            # A zombie (exited, not yet reaped) is as dead as a reaped process.
            if not self._root.is_running() or self._root.status() == psutil.STATUS_ZOMBIE:
                raise psutil.NoSuchProcess(self._root.pid)
            procs, new_pids = self._tree()
        except psutil.NoSuchProcess:
            self.gone = True
            return {metrics.ALIVE: 0.0}
        totals = _Totals()
        detail = time.monotonic() >= self._next_detail
        if detail:
            self._next_detail = time.monotonic() + self._detail_every_s
        for proc in procs:
            totals.add(proc, proc.pid in new_pids, self._tmp_prefix, detail)
        with self._lock:
            self._socket_inodes = frozenset(totals.inodes)
        return totals.values(len(procs), cpu_valid=len(new_pids) < len(procs), detail=detail)


class _Totals:
    def __init__(self) -> None:
        self.rss = self.threads = self.cpu = self.uss = self.pss = 0.0
        self.fds: Counter[FdKind] = Counter()
        self.tmp_fds = 0
        self.inodes: set[int] = set()

    def add(self, proc: psutil.Process, is_new: bool, tmp_prefix: str | None, detail: bool) -> None:
        """Add one process's figures; one that exits mid-tick simply contributes nothing."""
        try:
            with proc.oneshot():
                rss = proc.memory_info().rss
                threads = proc.num_threads()
                cpu = 0.0 if is_new else proc.cpu_percent(None)
            census = fd_census(proc.pid, tmp_prefix)
            if detail:
                full = proc.memory_full_info()
                self.uss += full.uss
                self.pss += getattr(full, "pss", 0.0)
        except (psutil.NoSuchProcess, ProcessLookupError):
            return
        self.rss += rss
        self.threads += threads
        self.cpu += cpu
        self.fds.update(census.by_kind)
        self.tmp_fds += census.files_under_prefix
        self.inodes |= census.socket_inodes

    def values(self, processes: int, cpu_valid: bool, detail: bool) -> dict[Metric, Value]:
        values: dict[Metric, Value] = {
            metrics.RSS: self.rss,
            metrics.FDS: float(sum(self.fds.values())),
            metrics.THREADS: self.threads,
            metrics.PROCESSES: float(processes),
            metrics.ALIVE: 1.0,
            metrics.TMP_FDS: float(self.tmp_fds),
        }
        for kind in FdKind:
            values[metrics.fds_of_kind(kind.value)] = float(self.fds[kind])
        if cpu_valid:
            values[metrics.CPU] = self.cpu
        if detail:
            values[metrics.USS] = self.uss
            values[metrics.PSS] = self.pss
        return values
