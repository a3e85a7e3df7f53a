"""Locust's history CSV as the updates-sent curve: only the Aggregated row, on the run's clock."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.report.locust_history import HISTORY, updates_curve

HEADER = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Total Request Count", "Total Failure Count"]


def write_history(run_dir: Path, rows: list[list[object]]) -> None:
    path = run_dir / HISTORY
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        out.writerows(rows)


def test_only_the_aggregated_row_counts_and_times_move_to_the_run_clock(tmp_path: Path) -> None:
    write_history(
        tmp_path,
        [
            [1000, 10, "", "Aggregated", 0.0, 0, 0],
            [1001, 10, "POST", "/telegram/webhook", 20.0, 20, 0],
            [1001, 10, "POST", "/x,Aggregated", 20.0, 999, 0],  # quoted: a name with a comma is not the total
            [1001, 10, "", "Aggregated", 20.0, 20, 0],
            [1002, 10, "", "Aggregated", 20.0, 41, 0],
        ],
    )
    curve = updates_curve(tmp_path, wall_minus_run_s=990.0)
    assert curve is not None
    assert curve.t_s.tolist() == [10.0, 11.0, 12.0] and curve.values.tolist() == [0.0, 20.0, 41.0]


def test_no_curve_without_an_offset_a_history_two_rows_or_its_columns(tmp_path: Path) -> None:
    assert updates_curve(tmp_path, 0.0) is None  # no file
    write_history(tmp_path, [[1000, 10, "", "Aggregated", 0.0, 0, 0], [1001, 10, "", "Aggregated", 0.0, 5, 0]])
    assert updates_curve(tmp_path, None) is None
    assert updates_curve(tmp_path, 0.0) is not None
    write_history(tmp_path, [[1000, 10, "", "Aggregated", 0.0, 0, 0]])
    assert updates_curve(tmp_path, 0.0) is None
    write_history(tmp_path, [[1000, 10, "", "Aggregated", 0.0, "N/A", 0], [1001, 10, "", "Aggregated", 0.0, 3, 0]])
    assert updates_curve(tmp_path, 0.0) is None  # a count that is not a number: no curve, no traceback
    (tmp_path / HISTORY).write_text("Timestamp,Name\n1000,Aggregated\n1001,Aggregated\n", encoding="utf-8")
    assert updates_curve(tmp_path, 0.0) is None
