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
            # Only whole lines: the last one may be cut short (Locust still writing it, or killed
            # mid-line), and a cut number reads as a smaller one.
            for row in csv.DictReader(line for line in handle if line.endswith("\n")):
                if row.get("Name") == "Aggregated" and (point := _point(row, column, wall_minus_run_s)) is not None:
                    points.append(point)
    except (OSError, csv.Error):
        return None
    if len(points) < 2:
        return None
    points.sort()
    return Curve(tuple(t for t, _ in points), tuple(n for _, n in points))


def _point(row: dict[str, str], column: str, wall_minus_run_s: float) -> tuple[float, float] | None:
    """A row's time and count; None for a row cut short (Locust still writing it, or killed mid-line)."""
    try:
        return float(row["Timestamp"]) - wall_minus_run_s, float(row[column])
    except (KeyError, TypeError, ValueError):
        return None
