"""CPU budgets: a measurement that got expensive is taken less often, so its share stays bounded.

After a run, the next may start no sooner than max(every_s, c / cpu_share), c the cost of recent
runs (the low median of the last five): at 10,000 fds a 70 ms census with a 0.3 % share runs every 23 s
instead of every second, once most recent runs cost that. One costly run alone (the interpreter's GC landing
in it, a reconnect) does not set the pace: a single 71 ms sample of the Node probe, 0.2 ms
otherwise, held its next one back 35 s, and the heap after GC went unread for a third of a run.
"""

from __future__ import annotations

import statistics
import time
from collections import deque

RECENT_RUNS = 5


class Governor:
    def __init__(self, every_s: float, cpu_share: float) -> None:
        self.every_s = every_s
        self.cpu_share = cpu_share
        self._next = time.monotonic()
        self._recent_cpu_s: deque[float] = deque(maxlen=RECENT_RUNS)

    def due(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self._next

    def spent(self, cost_s: float, started: float) -> float:
        """Record a run's CPU cost (started: its monotonic start); returns the period until the next run is due."""
        self._recent_cpu_s.append(cost_s)
        period_s = max(self.every_s, statistics.median_low(self._recent_cpu_s) / self.cpu_share)
        self._next = started + period_s
        return period_s
