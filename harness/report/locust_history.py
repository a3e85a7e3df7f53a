"""Locust's per-second history as a curve of updates sent, on the run's own clock."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.analysis.model import Curve

HISTORY = Path("locust") / "locust_stats_history.csv"


def updates_curve(run_dir: Path, wall_minus_run_s: float | None, column: str = "Total Request Count") -> Curve | None:
    """Cumulative webhook requests (or another cumulative column, e.g. "Total Failure Count")
    over time; None without a history or a clock offset.

    wall_minus_run_s converts Locust's Unix timestamps to seconds since the run's start.
    """
    if wall_minus_run_s is None:
        return None
    points: list[tuple[float, float]] = []
    try:
        with (run_dir / HISTORY).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("Name") == "Aggregated":
                    points.append((float(row["Timestamp"]) - wall_minus_run_s, float(row[column])))
    except (OSError, csv.Error, KeyError, ValueError):
        return None
    if len(points) < 2:
        return None
    points.sort()
    return Curve(tuple(t for t, _ in points), tuple(n for _, n in points))
