"""Process-tree probe: the target and its descendants, re-discovered every tick.

Every tick: RSS, CPU %, the main threads' time on and waiting for a CPU, threads and the fd count
(the size of /proc/PID/fd, O(1) on Linux >= 6.2). Fds by kind need a readlink per fd and USS/PSS
read smaps: both run every tick while cheap and are spaced out by their CPU share when they are
not (see budget.py).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter

import psutil

from harness.collector import metrics
from harness.collector.budget import Governor
from harness.collector.cpu_wait import MainThreadClock
from harness.collector.procfs import FdKind, descendants, fd_census
from harness.collector.store import Metric, Value

CENSUS_CPU_SHARE = 0.003
DETAIL_CPU_SHARE = 0.002


class ProcessProbe:
    """Sums resources over the target's process tree; keeps Process objects so CPU % works."""

    name = "process"

    def __init__(self, pid: int, tmp_dir: str | None = None, memory_detail_every_s: float = 10.0) -> None:
        self._root = psutil.Process(pid)
        self._known: dict[int, psutil.Process] = {}
        self._tmp_prefix = tmp_dir.rstrip("/") + "/" if tmp_dir else None
        self._census = Governor(0.0, CENSUS_CPU_SHARE)
        self._detail = Governor(memory_detail_every_s, DETAIL_CPU_SHARE)
        self._lock = threading.Lock()
        self._socket_inodes: frozenset[int] = frozenset()
        self._main_threads = MainThreadClock()
        self.gone = False

    @property
    def root_pid(self) -> int:
        return self._root.pid

    def socket_inodes(self) -> frozenset[int]:
        """The tree's socket inodes as of the last fd census (read by the TCP probe's thread)."""
        with self._lock:
            return self._socket_inodes

    def _tree(self) -> tuple[list[psutil.Process], set[int]]:
        """The live tree and the pids seen for the first time (whose CPU % is not yet valid)."""
        pids = descendants(self._root.pid)
        if pids is None:
            procs = [self._root, *self._root.children(recursive=True)]
        else:
            found = (self._known.get(pid) or _process(pid) for pid in pids)
            procs = [self._root, *(proc for proc in found if proc is not None)]
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
        values = self._basics(procs, new_pids)
        values.update(self._main_threads.sample(proc.pid for proc in procs))
        if self._census.due():
            values.update(self._fd_census(procs))
        if self._detail.due():
            values.update(self._memory_detail(procs))
        return values

    def _basics(self, procs: list[psutil.Process], new_pids: set[int]) -> dict[Metric, Value]:
        rss = threads = cpu = fds = 0.0
        for proc in procs:
            try:
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    threads += proc.num_threads()
                    cpu += 0.0 if proc.pid in new_pids else proc.cpu_percent(None)
                fds += fd_count(proc.pid)
            except (psutil.NoSuchProcess, ProcessLookupError):
                continue  # exited mid-tick: contributes nothing
        values: dict[Metric, Value] = {
            metrics.RSS: rss,
            metrics.FDS: fds,
            metrics.THREADS: threads,
            metrics.PROCESSES: float(len(procs)),
            metrics.ALIVE: 1.0,
        }
        if len(new_pids) < len(procs):
            values[metrics.CPU] = cpu
        return values

    def _fd_census(self, procs: list[psutil.Process]) -> dict[Metric, Value]:
        started, started_cpu = time.monotonic(), time.thread_time()
        kinds: Counter[FdKind] = Counter()
        inodes: set[int] = set()
        tmp_fds = 0
        for proc in procs:
            try:
                census = fd_census(proc.pid, self._tmp_prefix)
            except ProcessLookupError:
                continue
            kinds.update(census.by_kind)
            inodes |= census.socket_inodes
            tmp_fds += census.files_under_prefix
        with self._lock:
            self._socket_inodes = frozenset(inodes)
        self._census.spent(time.thread_time() - started_cpu, started)
        values: dict[Metric, Value] = {metrics.fds_of_kind(kind.value): float(kinds[kind]) for kind in FdKind}
        values[metrics.TMP_FDS] = float(tmp_fds)
        return values

    def _memory_detail(self, procs: list[psutil.Process]) -> dict[Metric, Value]:
        started, started_cpu = time.monotonic(), time.thread_time()
        uss = pss = 0.0
        for proc in procs:
            try:
                full = proc.memory_full_info()
            except psutil.NoSuchProcess:
                continue
            uss += full.uss
            pss += getattr(full, "pss", 0.0)
        self._detail.spent(time.thread_time() - started_cpu, started)
        return {metrics.USS: uss, metrics.PSS: pss}


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def fd_count(pid: int) -> int:
    """Open fds of pid: Linux >= 6.2 reports the count as the size of /proc/PID/fd; older
    kernels report 0 there, and the directory is listed instead."""
    path = f"/proc/{pid}/fd"
    try:
        size = os.stat(path).st_size
        return size if size > 0 else len(os.listdir(path))
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
