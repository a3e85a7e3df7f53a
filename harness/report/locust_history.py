"""Locust's per-second history as curves on the run's own clock: updates sent, the load's rate,
failures and the webhook's latency percentiles (for the report's work section and for judging)."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.analysis.model import Curve
from harness.analysis.rules import FAILURES, UPDATES

HISTORY = Path("locust") / "locust_stats_history.csv"
USERS = "load.users"
REQUESTS_PER_S = "load.requests_per_s"
FAILURES_PER_S = "load.failures_per_s"
LATENCY_P50 = "load.latency_p50_s"
LATENCY_P95 = "load.latency_p95_s"
LATENCY_P99 = "load.latency_p99_s"
# curve -> (column of the Aggregated row, factor to the curve's unit). Locust's percentiles are
# over its last few seconds (a sliding window), in milliseconds.
_COLUMNS = {
    UPDATES: ("Total Request Count", 1.0),
    FAILURES: ("Total Failure Count", 1.0),
    USERS: ("User Count", 1.0),
    REQUESTS_PER_S: ("Requests/s", 1.0),
    FAILURES_PER_S: ("Failures/s", 1.0),
    LATENCY_P50: ("50%", 0.001),
    LATENCY_P95: ("95%", 0.001),
    LATENCY_P99: ("99%", 0.001),
}
UNITS = {
    UPDATES: "count",
    FAILURES: "count",
    USERS: "count",
    REQUESTS_PER_S: "per_s",
    FAILURES_PER_S: "per_s",
    LATENCY_P50: "seconds",
    LATENCY_P95: "seconds",
    LATENCY_P99: "seconds",
}


def _number(text: str | None) -> float | None:
    """A cell as a number; Locust writes "N/A" for a percentile of a second without requests."""
    try:
        return float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None


def history_curves(run_dir: Path, wall_minus_run_s: float | None) -> dict[str, Curve]:
    """Every curve above that has two points or more; none without a history or a clock offset.

    wall_minus_run_s converts Locust's Unix timestamps to seconds since the run's start.
    """
    if wall_minus_run_s is None:
        return {}
    points: dict[str, list[tuple[float, float]]] = {name: [] for name in _COLUMNS}
    try:
        with (run_dir / HISTORY).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("Name") != "Aggregated" or (t := _number(row.get("Timestamp"))) is None:
                    continue
                for name, (column, factor) in _COLUMNS.items():
                    if (value := _number(row.get(column))) is not None:
                        points[name].append((t - wall_minus_run_s, value * factor))
    except (OSError, csv.Error):
        return {}
    return {
        name: Curve(tuple(t for t, _ in ordered), tuple(v for _, v in ordered))
        for name, found in points.items()
        if len(ordered := sorted(found)) >= 2
    }
