"""The pauses soak imposes on the target: the inspector's pause lock, and their record.

The lock is held while a heap snapshot stops the target's JavaScript. The Node probe waits for it
rather than timing out and reconnecting: closing any inspector session makes V8 forget the object
ids that tell a heap snapshot's new objects from old ones.

Every pause soak causes (a listener census, a heap snapshot, a forced GC long enough to matter) is
a `target_pause` event with its start and duration, so the judge can tell the stall and the backlog
it leaves from a slow service (harness/analysis/pauses.py).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from harness.documents.events import EventLog, TargetPauseEvent
from vocab.events import PauseCause

INSPECTOR_PAUSE = threading.Lock()
# A forced GC runs every few seconds on a short cadence: only those long enough to hold up the
# service's answers are recorded (a 1 s cadence over 4 hours would otherwise flood the log).
FORCED_GC_RECORDED_FROM_S = 0.1


class PauseLog:
    """Writes a target_pause event per pause (thread-safe: EventLog appends one line per event)."""

    def __init__(self, events: EventLog, forced_gc_from_s: float = FORCED_GC_RECORDED_FROM_S) -> None:
        self._events = events
        self._forced_gc_from_s = forced_gc_from_s

    def record(self, cause: PauseCause, started_monotonic_s: float, duration_s: float) -> None:
        if cause is PauseCause.FORCED_GC and duration_s < self._forced_gc_from_s:
            return
        start_s = round(self._events.run_s(started_monotonic_s), 3)
        self._events.emit(TargetPauseEvent(cause=cause, start_s=start_s, duration_s=round(duration_s, 3)))

    @contextlib.contextmanager
    def timed(self, cause: PauseCause) -> Iterator[None]:
        """Records the block's wall time, also when it fails or is cancelled (the target was paused)."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.record(cause, started, time.monotonic() - started)


@contextlib.contextmanager
def timed(pauses: PauseLog | None, cause: PauseCause) -> Iterator[None]:
    """pauses.timed(cause), or nothing when pauses are not recorded (benchmarks, tests)."""
    if pauses is None:
        yield
        return
    with pauses.timed(cause):
        yield
