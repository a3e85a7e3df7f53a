"""The sampling loop: ticks scheduled against deadlines (next += interval), one transaction each.

Inline probes (the process sample) run in the tick itself. Slow probes (TCP table, Redis,
inspector, temp files) each run in their own thread on their own cadence and publish their
latest values, which the next tick writes; so a slow probe never delays the process sample.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from harness.collector import metrics
from harness.collector.budget import Governor
from harness.collector.store import Metric, Missing, SampleWriter, Value

log = logging.getLogger(__name__)


class Probe(Protocol):
    def sample(self) -> Mapping[Metric, Value]: ...


def probe_name(probe: Probe) -> str:
    name = getattr(probe, "name", None)
    return name if isinstance(name, str) else type(probe).__name__.lower()


class ProbeErrors:
    """Exceptions of probes, which must never stop the sampling: a count per probe (written every
    tick once it is above 0) and the first message, stored once as the reason of a missing value."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._unwritten: dict[str, str] = {}
        self._lock = threading.Lock()

    def record(self, name: str, exc: Exception) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1
            if self._counts[name] == 1:
                self._unwritten[name] = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("probe %s failed (counted in collector.%s.errors_total): %s", name, name, exc)

    def count(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    def values(self) -> dict[Metric, Value]:
        with self._lock:
            values: dict[Metric, Value] = {metrics.probe_errors(n): float(c) for n, c in self._counts.items()}
            values.update({metrics.probe_first_error(n): Missing(text) for n, text in self._unwritten.items()})
            self._unwritten.clear()
        return values


@dataclass(frozen=True)
class Slow:
    """A probe with its own cadence and time budget, run in its own thread."""

    name: str
    probe: Probe
    every_s: float
    budget_s: float
    cpu_share: float = 0.002  # a probe that got expensive runs less often (see budget.py)


class _SlowRunner:
    """Runs one slow probe every every_s (or less often when it costs more than its CPU share
    allows); the tick thread takes what it published."""

    def __init__(self, slow: Slow, stop: threading.Event, errors: ProbeErrors) -> None:
        self.slow = self._slow = slow
        self._stop = stop
        self._lock = threading.Lock()
        self._pending: dict[Metric, Value] = {}
        self._overruns = 0
        self._errors = errors
        self.thread = threading.Thread(target=self._loop, name=f"soak-probe-{slow.name}", daemon=True)

    def take(self) -> dict[Metric, Value]:
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending

    def _loop(self) -> None:
        governor = Governor(self._slow.every_s, self._slow.cpu_share)
        first = True
        while not self._stop.is_set():
            started = time.monotonic()
            cpu_s = self._run_once()
            # The first run pays for connecting and priming: it does not set the pace.
            period_s = self._slow.every_s if first else governor.spent(cpu_s, started)
            first = False
            self._stop.wait(max(0.0, started + period_s - time.monotonic()))

    def _run_once(self) -> float:
        """One sample; returns the CPU time it took (this thread's, so waiting is free)."""
        name = self._slow.name
        start, start_cpu = time.monotonic(), time.thread_time()
        try:
            values = dict(self._slow.probe.sample())
        except Exception as exc:  # noqa: BLE001 - one failing probe must not stop the others
            self._errors.record(name, exc)
            values = {}
        cost_s = time.monotonic() - start
        if cost_s > self._slow.budget_s:
            self._overruns += 1
        values[metrics.probe_cost(name)] = cost_s
        values[metrics.probe_overruns(name)] = float(self._overruns)
        values[metrics.probe_errors(name)] = float(self._errors.count(name))
        cpu_s = time.thread_time() - start_cpu
        values[metrics.probe_cpu(name)] = cpu_s
        with self._lock:
            self._pending.update(values)
        return cpu_s


class Sampler:
    """Runs probes every interval_s in a thread until stopped; lateness is recorded per tick."""

    def __init__(
        self,
        writer: SampleWriter,
        probes: Sequence[Probe],
        interval_s: float,
        t0: float,
        slow: Sequence[Slow] = (),
    ) -> None:
        self._writer = writer
        self._probes = probes
        self._interval_s = interval_s
        self._t0 = t0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="soak-sampler", daemon=True)
        self.probe_errors = ProbeErrors()
        self._slow = [_SlowRunner(entry, self._stop, self.probe_errors) for entry in slow]
        self.ticks = 0
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    @property
    def slow(self) -> tuple[Slow, ...]:
        return tuple(runner.slow for runner in self._slow)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)
        for runner in self._slow:
            if runner.thread.ident is not None:
                runner.thread.join(timeout=5)

    def tick(self, lateness_s: float = 0.0) -> None:
        start = time.monotonic()
        values: dict[Metric, Value] = {}
        for probe in self._probes:
            try:
                values.update(probe.sample())
            except Exception as exc:  # noqa: BLE001 - e.g. AccessDenied on one process: the tick goes on
                self.probe_errors.record(probe_name(probe), exc)
        values[metrics.TICK_COST] = time.monotonic() - start
        for runner in self._slow:
            values.update(runner.take())
        values.update(self.probe_errors.values())
        self._writer.write_tick(time.monotonic() - self._t0, lateness_s, values)
        self.ticks += 1

    def _loop(self) -> None:
        deadline = time.monotonic()
        try:
            while not self._stop.is_set():
                lateness_s = max(0.0, time.monotonic() - deadline)
                self.tick(lateness_s)
                if self.ticks == 1:
                    # After the first process sample, so the TCP probe has socket inodes to map.
                    for runner in self._slow:
                        runner.thread.start()
                deadline += self._interval_s
                # A tick that overran skips the deadlines it missed rather than bursting.
                while deadline < time.monotonic():
                    deadline += self._interval_s
                self._stop.wait(deadline - time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - surfaced to the runner through .error
            self.error = exc
