"""The collector's ticks as they are written, handed to the live view in the same process.

The sample writer pushes each tick's values here after its commit (a reference, no copy); the view
drains them about once a second. Nothing is read back from samples.db.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.collector.store import Metric, SampleWriter, Value

# Ticks kept for a view that fell behind: minutes at 1 s, 12 s at the 50 ms floor.
KEPT_TICKS = 256


@dataclass(frozen=True)
class Tick:
    t_s: float
    values: Mapping[Metric, Value]


class TickFeed:
    """Ticks pushed by the sampler thread, drained by one reader."""

    def __init__(self, kept: int = KEPT_TICKS) -> None:
        self._ticks: deque[Tick] = deque(maxlen=kept)
        self._pushed = 0
        self._drained = 0
        self._lock = threading.Lock()

    def push(self, t_s: float, values: Mapping[Metric, Value]) -> None:
        with self._lock:
            self._ticks.append(Tick(t_s, values))
            self._pushed += 1

    def drain(self) -> tuple[list[Tick], int]:
        """The ticks pushed since the last drain, and how many of those were dropped (too many)."""
        with self._lock:
            new = self._pushed - self._drained
            ticks = list(self._ticks)  # drained ticks are not kept: minutes of values per metric
            self._ticks.clear()
            self._drained = self._pushed
        return ticks, new - len(ticks)


class FeedingWriter(SampleWriter):
    """A SampleWriter that also hands every committed tick to a TickFeed."""

    def __init__(self, path: Path, feed: TickFeed) -> None:
        super().__init__(path)
        self.feed = feed

    def write_tick(self, t_s: float, lateness_s: float, values: Mapping[Metric, Value]) -> None:
        super().write_tick(t_s, lateness_s, values)
        self.feed.push(t_s, values)
