"""Cheap reads of files other processes append to: new lines of events.jsonl since the last read,
and the last aggregated row of Locust's stats history (only the file's tail is read)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from harness.documents.events import Event, event_of
from harness.rundir import RunFileError

# Locust writes a history row per request name and one "Aggregated" row each second: the last
# aggregated row is within the file's last few KiB even with dozens of names.
HISTORY_TAIL_BYTES = 32 * 1024


class EventsTail:
    """New complete lines of events.jsonl at each read; a line cut mid-write waits for its end."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0

    def read_new(self) -> list[Event]:
        try:
            with self._path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        events = []
        for line in complete.splitlines():
            try:
                events.append(event_of(json.loads(line), str(self._path)))
            except (ValueError, RunFileError):
                continue  # the live view shows what it can; `soak report` names a bad record
        return events


@dataclass(frozen=True)
class LoadFigures:
    """Locust's figures of its last second, and its totals so far."""

    users: int
    updates_per_s: float
    failures_per_s: float
    p95_s: float | None  # of the last seconds (Locust's current window); None before any answer
    updates_total: int
    failures_total: int


def _number(row: dict[str, str], column: str) -> float | None:
    try:
        value = float(row.get(column) or "nan")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _last_aggregated(header: str, tail: str) -> dict[str, str] | None:
    lines = [line for line in tail.splitlines() if ",Aggregated," in line]
    if not lines:
        return None
    return next(csv.DictReader(io.StringIO(header + "\n" + lines[-1])), None)


def read_load_figures(history: Path) -> LoadFigures | None:
    """The last aggregated row of locust_stats_history.csv, or None when there is none yet."""
    try:
        with history.open("rb") as handle:
            header = handle.readline().decode("utf-8", "replace").strip()
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(handle.tell(), size - HISTORY_TAIL_BYTES))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    row = _last_aggregated(header, tail)
    if row is None:
        return None
    p95_ms = _number(row, "95%")
    return LoadFigures(
        users=int(_number(row, "User Count") or 0),
        updates_per_s=_number(row, "Requests/s") or 0.0,
        failures_per_s=_number(row, "Failures/s") or 0.0,
        p95_s=None if p95_ms is None else p95_ms / 1000,
        updates_total=int(_number(row, "Total Request Count") or 0),
        failures_total=int(_number(row, "Total Failure Count") or 0),
    )
