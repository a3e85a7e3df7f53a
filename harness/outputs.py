"""The documents `--json` prints on stdout: a run's verdict as verdict.json holds it (with where
the run is), and a comparison of two runs. Human text goes to stderr then, so stdout parses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.documents.verdict import read_verdict
from harness.report.compare import Row
from harness.rundir import RunFileError

COMPARISON_SCHEMA_VERSION = 1


class OutputError(Exception):
    """A verdict.json that cannot be read back; the message is one line."""


def verdict_output(run_dir: Path) -> dict[str, Any]:
    """verdict.json as written for this run, plus `run_dir` (absolute)."""
    try:
        document = read_verdict(run_dir)
    except RunFileError as exc:
        raise OutputError(str(exc)) from None
    return {**document.document(), "run_dir": str(run_dir.resolve())}


def _change(row: Row) -> float | None:
    """B's figure against A's as a share (0.25 = +25 %); None when either is missing or A is 0."""
    if row.figure_a is None or row.figure_b is None or row.figure_a == 0:
        return None
    return (row.figure_b - row.figure_a) / abs(row.figure_a)


def comparison_output(rows: Sequence[Row], run_a: Path, run_b: Path, written: Sequence[Path] = ()) -> dict[str, Any]:
    """The comparison; written: the overlay page and the Markdown table, when they were written."""
    regressed = [row.name for row in rows if row.regressed]
    return {
        "schema_version": COMPARISON_SCHEMA_VERSION,
        "run_a": str(run_a.resolve()),
        "run_b": str(run_b.resolve()),
        "regressed": regressed,
        "exit_code": 1 if regressed else 0,
        **dict(zip(("overlay", "table"), (str(path.resolve()) for path in written), strict=False)),
        "checks": [
            {
                "name": row.name,
                "metric": row.metric,
                "status_a": row.status_a,
                "status_b": row.status_b,
                "figure_a": row.figure_a,
                "figure_b": row.figure_b,
                "unit": row.unit,
                "change": _change(row),
                "worse_status": row.worse_status,
                "more_work": row.more_work,
                "regressed": row.regressed,
            }
            for row in rows
        ],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True)
