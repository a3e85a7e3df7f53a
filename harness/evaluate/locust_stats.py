"""Reading what Locust saw (the Aggregated row of its stats CSV) for the load checks."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.analysis.bad_input import BadInputKind
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


BAD_INPUT_PREFIX = "bad:"  # Locust's name for bad input requests (scenarios/webhook.py)
MAX_PROBLEMS = 5


def read_bad_input(run_dir: Path) -> dict[str, BadInputKind]:
    """Bad input by kind: requests, those answered outside the contract, and how (Locust's failures)."""
    counts: dict[str, tuple[int, int]] = {}
    problems: dict[str, list[str]] = {}
    try:
        with (run_dir / "locust" / "locust_stats.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                name = row.get("Name") or ""
                if name.startswith(BAD_INPUT_PREFIX):
                    counts[name.removeprefix(BAD_INPUT_PREFIX)] = (int(row["Request Count"]), int(row["Failure Count"]))
        with (run_dir / "locust" / "locust_failures.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                name = (row.get("Name") or "").removeprefix(BAD_INPUT_PREFIX)
                if name in counts and len(problems.setdefault(name, [])) < MAX_PROBLEMS:
                    problems[name].append(f"{row.get('Error', '')} ({row.get('Occurrences', '?')} times)")
    except (OSError, csv.Error, KeyError, ValueError):
        pass
    return {name: BadInputKind(sent, broken, tuple(problems.get(name, ()))) for name, (sent, broken) in counts.items()}
