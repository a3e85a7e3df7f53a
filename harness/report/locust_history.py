"""Locust's per-second history as a curve of updates sent, on the run's own clock."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from harness.analysis.model import Curve

HISTORY = Path("locust") / "locust_stats_history.csv"
AGGREGATED = "Aggregated"


def updates_curve(run_dir: Path, wall_minus_run_s: float | None) -> Curve | None:
    """Cumulative webhook requests over time; None without a history or a clock offset.

    wall_minus_run_s converts Locust's Unix timestamps to seconds since the run's start.
    """
    if wall_minus_run_s is None:
        return None
    try:
        with (run_dir / HISTORY).open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader([handle.readline()]))
            name, stamp, total = (header.index(column) for column in ("Name", "Timestamp", "Total Request Count"))
            # A day of history is ~170,000 lines: only those naming the Aggregated row are parsed.
            rows = csv.reader(line for line in handle if AGGREGATED in line)
            points = [(row[stamp], row[total]) for row in rows if len(row) > name and row[name] == AGGREGATED]
        table = np.array(points, dtype=np.float64).reshape(len(points), 2)
    except (OSError, csv.Error, StopIteration, IndexError, ValueError):
        return None
    if len(points) < 2:
        return None
    return Curve(table[:, 0] - wall_minus_run_s, table[:, 1])
