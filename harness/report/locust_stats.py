"""Reading what Locust saw (the Aggregated row of its stats CSV) for the load checks."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.analysis.model import LoadStats


def read_load_stats(run_dir: Path) -> LoadStats | None:
    """None when Locust wrote no stats (a run killed before the load ended)."""
    path = run_dir / "locust" / "locust_stats.csv"
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    except (OSError, csv.Error):
        return None
    if not rows:
        return None
    row = rows[-1]
    try:
        p95_ms = row.get("95%", "N/A")
        return LoadStats(
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            p95_s=None if p95_ms in ("N/A", "", None) else float(p95_ms) / 1000,
        )
    except (KeyError, ValueError):
        return None
