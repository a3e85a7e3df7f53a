"""A run's heap growth: the diff of its first and last heap snapshot, for the verdict.

The diff of two big snapshots takes seconds to minutes, so it is kept in
heap-snapshots/growth.json, keyed by the two files' names, sizes and times: `soak report`
reuses it, and computes it again when a snapshot changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from harness.analysis.heap_growth import HeapGrowth, growth_document, growth_from_document
from harness.analysis.model import Curve, LoadStats, RunData, Span
from harness.analysis.rules import FAILURES, UPDATES
from harness.analysis.windows import value_at
from harness.documents.events import Event, HeapSnapshotEvent, HeapSnapshotFailedEvent
from harness.heapsnap.diff import heap_growth
from harness.heapsnap.files import SNAPSHOT_DIR
from harness.heapsnap.snapshot import load_earlier, load_snapshot
from harness.heapsnap.stream import SnapshotFormatError

CACHE = "growth.json"
_CACHE_VERSION = 1


def _taken(run_dir: Path, events: Sequence[Event]) -> list[tuple[Path, float, float]]:
    """(file, moment in run seconds, pause) of each snapshot written in full."""
    found = []
    for event in events:
        if not isinstance(event, HeapSnapshotEvent):
            continue
        path = run_dir / event.file
        pause_s = float(event.pause_s)
        if path.is_file():
            found.append((path, float(event.t_s or 0.0) - pause_s, pause_s))
    return found


def _key(paths: Sequence[Path], updates: float | None) -> dict[str, Any]:
    stats = [os.stat(p) for p in paths]
    return {
        "version": _CACHE_VERSION,
        "files": [p.name for p in paths],
        "sizes": [s.st_size for s in stats],
        "mtimes_ns": [s.st_mtime_ns for s in stats],
        "updates": updates,
    }


def _cached(cache: Path, key: dict[str, Any]) -> HeapGrowth | None:
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
        return growth_from_document(stored["growth"]) if stored.get("key") == key else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


# After a pause, Node closes the keep-alive connections it found idle for longer than its 5 s
# timeout, requests that arrived on them meanwhile included.
AFTER_PAUSE_S = 6.0


@dataclass(frozen=True)
class HeapEvidence:
    growth: HeapGrowth | None
    notes: list[str]
    failures_in_pauses: int  # webhook requests that failed while a snapshot paused the target


def _failures_in_pauses(taken: Sequence[tuple[Path, float, float]], failures: Curve | None) -> int:
    if not taken or failures is None or len(failures.t_s) < 2:
        return 0
    spans = np.asarray([(at_s, at_s + pause + AFTER_PAUSE_S) for _, at_s, pause in taken], dtype=float)
    ends = value_at(failures, spans.ravel()).reshape(-1, 2)
    return max(0, round(float(np.sum(ends[:, 1] - ends[:, 0]))))


def without_pause_failures(stats: LoadStats | None, failed: int) -> LoadStats | None:
    """The load's figures without the failures our own pauses caused: not the service's doing."""
    if stats is None or failed <= 0:
        return stats
    return replace(stats, failures=max(0, stats.failures - failed))


def run_heap_growth(
    run_dir: Path, events: Sequence[Event], updates: Curve | None, failures: Curve | None = None
) -> HeapEvidence:
    """The growth between the first and last snapshot of the run, and notes on what happened."""
    taken = _taken(run_dir, events)
    failed = [e for e in events if isinstance(e, HeapSnapshotFailedEvent)]
    notes = [f"heap snapshot {e.name} failed: {e.error}" if e.name else f"no heap snapshots: {e.error}" for e in failed]
    in_pauses = _failures_in_pauses(taken, failures)
    if taken:
        pauses = ", ".join(f"{pause:.2f} s" for _, _, pause in taken)
        notes.append(f"heap snapshots: {len(taken)}, each paused the target ({pauses}); latency figures include them")
    if in_pauses:
        notes.append(
            f"{in_pauses} webhook requests failed during a heap snapshot's pause or within {AFTER_PAUSE_S:.0f} s of "
            "its end (a pause outlasting the keep-alive timeout drops idle connections): error_ratio leaves them out"
        )
    if len(taken) < 2:
        return HeapEvidence(None, notes, in_pauses)
    (first, first_s, _), (last, last_s, _) = taken[0], taken[-1]
    handled = None
    if updates is not None and len(updates.t_s) >= 2:
        ends = value_at(updates, np.asarray([first_s, last_s], dtype=float))
        handled = float(ends[1] - ends[0])
    key = _key([first, last], handled)
    cache = run_dir / SNAPSHOT_DIR / CACHE
    growth = _cached(cache, key)
    if growth is None:
        try:
            earlier = load_earlier(first)
            later = load_snapshot(last, earlier)
            growth = heap_growth(
                earlier.without_ids(),
                later,
                updates=handled,
                span=Span(first_s, last_s),
                pauses_s=tuple(pause for _, _, pause in taken),
            )
        except SnapshotFormatError as exc:
            return HeapEvidence(None, [*notes, f"heap snapshots not compared: {exc}"], in_pauses)
        _write(cache, {"key": key, "growth": growth_document(growth)})
    return HeapEvidence(growth, notes, in_pauses)


def _write(path: Path, data: Any) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass  # a read-only run directory: the diff is computed again next time


def with_heap_evidence(run_dir: Path, events: Sequence[Event], data: RunData) -> tuple[RunData, list[str]]:
    """The run's data with its heap growth, and the load's failures our pauses caused left out."""
    heap = run_heap_growth(run_dir, events, data.curves.get(UPDATES), data.curves.get(FAILURES))
    load_stats = without_pause_failures(data.load_stats, heap.failures_in_pauses)
    return replace(data, heap_growth=heap.growth, load_stats=load_stats), heap.notes
