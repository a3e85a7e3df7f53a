"""Locust's history CSV as curves: only the Aggregated row, on the run's clock, N/A left out."""

from __future__ import annotations

import csv
from pathlib import Path

from harness.analysis.rules import UPDATES
from harness.evaluate.locust_history import HISTORY, history_curves
from vocab.metrics import Metric

HEADER = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "95%", "Total Request Count", "Total Failure Count"]


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
            [1000, 10, "", "Aggregated", 0.0, "N/A", 0, 0],
            [1001, 10, "POST", "/telegram/webhook", 20.0, 12, 20, 0],
            [1001, 10, "POST", "/x,Aggregated", 20.0, 12, 999, 0],  # quoted: a name with a comma is not the total
            [1001, 10, "", "Aggregated", 20.0, 12, 20, 0],
            [1002, 10, "", "Aggregated", 20.0, 0, 41, 0],
        ],
    )
    curves = history_curves(tmp_path, wall_minus_run_s=990.0)
    updates, p95 = curves[UPDATES], curves[Metric.LATENCY_P95_S]
    assert updates.t_s.tolist() == [10.0, 11.0, 12.0] and updates.values.tolist() == [0.0, 20.0, 41.0]
    assert p95.t_s.tolist() == [11.0, 12.0] and p95.values.tolist() == [0.012, 0.0]  # N/A left out, 0 kept


def test_no_curves_without_an_offset_a_history_two_rows_or_its_columns(tmp_path: Path) -> None:
    assert history_curves(tmp_path, 0.0) == {}  # no file
    write_history(tmp_path, [[1000, 10, "", "Aggregated", 0, 1, 0, 0], [1001, 10, "", "Aggregated", 0, 1, 5, 0]])
    assert history_curves(tmp_path, None) == {}
    assert UPDATES in history_curves(tmp_path, 0.0)
    write_history(tmp_path, [[1000, 10, "", "Aggregated", 0.0, 1, 0, 0]])
    assert history_curves(tmp_path, 0.0) == {}
    write_history(tmp_path, [[1000, 10, "", "Aggregated", 0, 1, "x", 0], [1001, 10, "", "Aggregated", 0, 1, 3, 0]])
    assert UPDATES not in history_curves(tmp_path, 0.0)  # a count that is not a number: left out, no traceback
    (tmp_path / HISTORY).write_text("Timestamp,Total Request Count\n1000,1\n1001,2\n", encoding="utf-8")
    assert history_curves(tmp_path, 0.0) == {}
