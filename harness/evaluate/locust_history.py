"""Locust's per-second history as curves on the run's own clock: updates sent, the load's rate,
failures and the webhook's latency percentiles (for the report's work section and for judging)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Curve
from vocab.metrics import LOAD_CURVES, Metric, unit_of

HISTORY = Path("locust") / "locust_stats_history.csv"
AGGREGATED = "Aggregated"
CHUNK_ROWS = 65_536  # rows turned into arrays at a time
# curve -> (column of the Aggregated row, factor to the curve's unit). Locust's percentiles are
# over its last few seconds (a sliding window), in milliseconds.
_COLUMNS = {
    Metric.UPDATES_TOTAL: ("Total Request Count", 1.0),
    Metric.FAILURES_TOTAL: ("Total Failure Count", 1.0),
    Metric.USERS: ("User Count", 1.0),
    Metric.REQUESTS_PER_S: ("Requests/s", 1.0),
    Metric.FAILURES_PER_S: ("Failures/s", 1.0),
    Metric.LATENCY_P50_S: ("50%", 0.001),
    Metric.LATENCY_P95_S: ("95%", 0.001),
    Metric.LATENCY_P99_S: ("99%", 0.001),
}
UNITS = {name: str(unit_of(name)) for name in LOAD_CURVES}


def _number(text: str | None) -> float | None:
    """A cell as a number; Locust writes "N/A" for a percentile of a second without requests."""
    try:
        return float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None


def _fields(lines: Iterable[str], needed: int) -> Iterator[list[str]]:
    """The first `needed` CSV fields of each line (the rest unsplit); a plain split unless the line
    quotes a field (a name with a comma)."""
    for line in lines:
        yield next(csv.reader([line])) if '"' in line else line.rstrip("\r\n").split(",", needed)


def _table(cells: list[list[str]]) -> NDArray[np.float64]:
    """Cells as numbers, NaN where Locust wrote none ("N/A", empty) or something else."""
    text = np.array(cells, dtype=str).reshape(len(cells), -1)
    text[(text == "N/A") | (text == "")] = "nan"
    try:
        return text.astype(np.float64)
    except ValueError:  # a cell that is no number: the slow way, cell by cell
        numbers = [[number if (number := _number(cell)) is not None else np.nan for cell in row] for row in cells]
        return np.array(numbers, dtype=np.float64)


def _aggregated(handle: TextIO, columns: list[str]) -> NDArray[np.float64] | None:
    """The Aggregated rows' columns (Timestamp first), a chunk at a time; None if a column is missing."""
    header = next(csv.reader([handle.readline()]))
    if not {"Name", "Timestamp"} <= set(header):
        return None
    name_at = header.index("Name")
    at = [header.index("Timestamp"), *(header.index(c) if c in header else -1 for c in columns)]
    needed = max(name_at, *at) + 1
    chunks, cells = [], []
    # A week of history is 1.2 million lines: only those naming the Aggregated row are split. Only
    # whole lines: the last one may be cut short (Locust still writing it, or killed mid-line),
    # and a cut number reads as a smaller one.
    for row in _fields((line for line in handle if AGGREGATED in line and line.endswith("\n")), needed):
        if len(row) > name_at and row[name_at] == AGGREGATED:
            cells.append([row[i] if 0 <= i < len(row) else "" for i in at])
        if len(cells) == CHUNK_ROWS:
            chunks.append(_table(cells))
            cells = []
    chunks.append(_table(cells) if cells else np.empty((0, len(at))))
    return np.concatenate(chunks)


def history_curves(run_dir: Path, wall_minus_run_s: float | None) -> dict[str, Curve]:
    """Every curve above that has two points or more; none without a history or a clock offset.

    wall_minus_run_s converts Locust's Unix timestamps to seconds since the run's start.
    """
    if wall_minus_run_s is None:
        return {}
    try:
        with (run_dir / HISTORY).open(newline="", encoding="utf-8") as handle:
            table = _aggregated(handle, [column for column, _ in _COLUMNS.values()])
    except (OSError, csv.Error, StopIteration):
        return {}
    if table is None:
        return {}
    curves: dict[str, Curve] = {}
    for index, (name, (_, factor)) in enumerate(_COLUMNS.items(), start=1):
        known = np.isfinite(table[:, 0]) & np.isfinite(table[:, index])
        if np.count_nonzero(known) < 2:
            continue
        t_s, values = table[known, 0] - wall_minus_run_s, table[known, index] * factor
        order = np.lexsort((values, t_s))  # by time, then value: as sorting (t, value) pairs did
        curves[name] = Curve(t_s[order], values[order])
    return curves
