"""Locust's per-second history as a curve of updates sent, on the run's own clock."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from harness.analysis.model import Curve

HISTORY = Path("locust") / "locust_stats_history.csv"
AGGREGATED = "Aggregated"
CHUNK_ROWS = 65_536  # rows turned into arrays at a time: a week of history is 1.2 million lines


def _fields(lines: Iterable[str], needed: int) -> Iterator[list[str]]:
    """The first `needed` CSV fields of each line (and the rest unsplit); a plain split unless the
    line quotes a field (a name with a comma)."""
    for line in lines:
        yield next(csv.reader([line])) if '"' in line else line.rstrip("\r\n").split(",", needed)


def updates_curve(run_dir: Path, wall_minus_run_s: float | None) -> Curve | None:
    """Cumulative webhook requests over time; None without a history or a clock offset.

    wall_minus_run_s converts Locust's Unix timestamps to seconds since the run's start.
    """
    if wall_minus_run_s is None:
        return None
    chunks: list[np.ndarray] = []
    points: list[tuple[str, str]] = []
    try:
        with (run_dir / HISTORY).open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader([handle.readline()]))
            name, stamp, total = (header.index(column) for column in ("Name", "Timestamp", "Total Request Count"))
            # Only lines naming the Aggregated row are split; the others are skipped unparsed.
            needed = max(name, stamp, total) + 1
            for row in _fields((line for line in handle if AGGREGATED in line), needed):
                if len(row) > name and row[name] == AGGREGATED:
                    points.append((row[stamp], row[total]))
                if len(points) == CHUNK_ROWS:
                    chunks.append(np.array(points, dtype=np.float64))
                    points = []
        chunks.append(np.array(points, dtype=np.float64).reshape(len(points), 2))
    except (OSError, csv.Error, StopIteration, IndexError, ValueError):
        return None
    table = np.concatenate(chunks)
    if table.shape[0] < 2:
        return None
    return Curve(table[:, 0] - wall_minus_run_s, table[:, 1])
