"""The sampling loop: ticks scheduled against deadlines (next += interval), one transaction each."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Protocol

from harness.collector.store import Metric, SampleWriter


class Probe(Protocol):
    def sample(self) -> dict[Metric, float]: ...


class Sampler:
    """Runs probes every interval_s in a thread until stopped; lateness is recorded per tick."""

    def __init__(self, writer: SampleWriter, probes: Sequence[Probe], interval_s: float, t0: float) -> None:
        self._writer = writer
        self._probes = probes
        self._interval_s = interval_s
        self._t0 = t0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="soak-sampler", daemon=True)
        self.ticks = 0
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def tick(self, lateness_s: float = 0.0) -> None:
        values: dict[Metric, float] = {}
        for probe in self._probes:
            values.update(probe.sample())
        self._writer.write_tick(time.monotonic() - self._t0, lateness_s, values)
        self.ticks += 1

    def _loop(self) -> None:
        deadline = time.monotonic()
        try:
            while not self._stop.is_set():
                lateness_s = max(0.0, time.monotonic() - deadline)
                self.tick(lateness_s)
                deadline += self._interval_s
                # A tick that overran skips the deadlines it missed rather than bursting.
                while deadline < time.monotonic():
                    deadline += self._interval_s
                self._stop.wait(deadline - time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - surfaced to the runner through .error
            self.error = exc
