"""`soak compare`: two run directories read (their verdict.json, and their records for the overlay),
compared check by check and written side by side (report/compare.py, compare_page.py render)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.documents.verdict import CheckDocument, read_verdict
from harness.evaluate.load import EvaluateError, load_run
from harness.report.compare import DEFAULT_CALLS_TOLERANCE, CompareError, Row, compare_checks
from harness.report.compare_page import Loaded, write_comparison
from harness.rundir import RunFileError


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    page: Path  # the overlay page
    table: Path  # the Markdown table


def _checks(run_dir: Path) -> dict[str, CheckDocument]:
    try:
        return {check.name: check for check in read_verdict(run_dir).checks}
    except RunFileError as exc:
        raise CompareError(str(exc)) from None


def _loaded(run_dir: Path) -> Loaded:
    """The run's data for the overlay, or why there is none (the table stands without it)."""
    try:
        return load_run(run_dir)
    except EvaluateError as exc:
        return f"{run_dir.name}: {exc}"


def compare_rows(run_a: Path, run_b: Path, calls_tolerance: float = DEFAULT_CALLS_TOLERANCE) -> list[Row]:
    """Raises CompareError (one line) when a verdict.json is missing or not of soak's shape."""
    return compare_checks(_checks(run_a), _checks(run_b), calls_tolerance)


def compare_runs(run_a: Path, run_b: Path, calls_tolerance: float, out_dir: Path | None) -> Comparison:
    """The rows, and the overlay page and Markdown table written in out_dir (default: B's run dir)."""
    rows = compare_rows(run_a, run_b, calls_tolerance)
    page, table = write_comparison((run_a, run_b), rows, (_loaded(run_a), _loaded(run_b)), out_dir)
    return Comparison(rows, page, table)
