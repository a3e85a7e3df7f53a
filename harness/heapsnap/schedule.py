"""The run's heap snapshots, on their own thread: at the end of warm-up, every N minutes after it
when the profile asks, and at the end of the load, into <run>/heap-snapshots/.

The warm-up one is taken a judging window (or a quarter of the warm-up, if longer) before the
warm-up ends, so its pause (the target runs no JavaScript while V8 writes the snapshot), the
memory V8 takes to write it and the catch-up after it fall in the warm-up, not in the span the
checks judge. The end one waits DRAIN_S into the cool-down (at most the
cool-down), so updates in flight finish and idle keep-alive connections close (Node's agents
close them after 5 s): it holds what the service keeps, not what it was doing. Each snapshot is
an event (`heap_snapshot`, with its pause); a failed one is an event too and never stops the run.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from harness.collector.pause import PauseLog
from harness.config import SnapshotPlan
from harness.documents.events import EventLog, HeapSnapshotEvent, HeapSnapshotFailedEvent
from harness.heapsnap.files import SNAPSHOT_DIR, SNAPSHOT_SUFFIX
from harness.heapsnap.take import InspectorSession, SnapshotError, Taken, take_snapshot
from vocab.events import PauseCause

END_TIMEOUT_S = 900.0  # a snapshot of a heap of GBs takes minutes; the run waits that long at most
DRAIN_S = 6.0


class HeapSnapshots:
    """Call load_started() when the load starts and load_ended() when it ends; close() always."""

    def __init__(
        self,
        ws_url: str | None,
        run_dir: Path,
        plan: SnapshotPlan,
        events: EventLog,
        *,
        warmup_s: float,
        window_s: float,
        cooldown_s: float,
    ) -> None:
        self._ws_url = ws_url
        self._enabled = plan.enabled
        self._dir = run_dir / SNAPSHOT_DIR
        self._every_s = plan.every_s
        self._events = events
        self._pauses = PauseLog(events)
        self._first_after_s = max(0.0, warmup_s - max(window_s, warmup_s / 4))
        self._drain_s = min(DRAIN_S, cooldown_s)
        self._ended = threading.Event()
        self._closed = threading.Event()  # the run is stopping: no more snapshots
        self._thread: threading.Thread | None = None
        self._session: InspectorSession | None = None
        self._taken = 0

    def load_started(self) -> None:
        if not self._enabled or self._thread is not None:
            return
        if self._ws_url is None:
            reason = "the target printed no inspector URL (not a Node process?)"
            self._events.emit(HeapSnapshotFailedEvent(error=reason))
            return
        self._dir.mkdir(exist_ok=True)
        self._session = InspectorSession(self._ws_url)
        start = time.monotonic()
        self._thread = threading.Thread(target=self._loop, args=(start,), name="soak-heap-snapshots", daemon=True)
        self._thread.start()

    def load_ended(self) -> None:
        """Take the end-of-load snapshot (after any one in progress); returns when it is written."""
        if self._thread is None:
            return
        self._ended.set()
        self._thread.join(END_TIMEOUT_S)

    def close(self) -> None:
        self._closed.set()
        self._ended.set()
        if self._thread is not None and self._thread.is_alive():
            return  # still writing: the session closes with the process
        if self._session is not None:
            self._session.close()

    def _loop(self, start: float) -> None:
        deadline = start + self._first_after_s
        label = "warmup-end"
        while not self._ended.wait(max(0.0, deadline - time.monotonic())):
            self._take(label)
            if self._every_s is None:
                break
            # Deadlines missed while a slow snapshot was written are skipped, not caught up back to
            # back: the target would spend the run paused.
            while deadline <= time.monotonic():
                deadline += self._every_s
            label = f"t{deadline - start:.0f}s"
        self._ended.wait()
        if not self._closed.wait(self._drain_s):
            self._take("load-end")

    def _take(self, label: str) -> None:
        assert self._session is not None
        self._taken += 1
        name = f"{self._taken:02d}-{label}"
        path = self._dir / f"{name}{SNAPSHOT_SUFFIX}"
        try:
            taken = take_snapshot(self._session, path)
        except (SnapshotError, OSError) as exc:
            self._events.emit(HeapSnapshotFailedEvent(name=name, error=str(exc)))
            print(f"soak: heap snapshot {name} failed: {exc}", file=sys.stderr, flush=True)
            return
        self._events.emit(_snapshot_event(taken, self._dir.parent))
        self._pauses.record(PauseCause.HEAP_SNAPSHOT, taken.started_monotonic, taken.gc_s + taken.pause_s)
        print(
            f"soak: heap snapshot {name}: {taken.size_bytes / 2**20:.1f} MiB, "
            f"the target was paused {taken.pause_s:.2f} s (+{taken.gc_s:.2f} s of forced GC)",
            file=sys.stderr,
            flush=True,
        )


def _snapshot_event(taken: Taken, run_dir: Path) -> HeapSnapshotEvent:
    return HeapSnapshotEvent(
        file=str(taken.path.relative_to(run_dir)),
        bytes=taken.size_bytes,
        pause_s=round(taken.pause_s, 3),
        gc_s=round(taken.gc_s, 3),
    )
