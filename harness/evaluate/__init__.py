"""The evaluate stage: a run directory read into RunData (load_run), judged by analysis, rendered
by report. The CLI (`soak run`, `soak report`, `soak collect`), the runner and compare call here."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.model import RunData, Verdict
from harness.analysis.verdict import judge
from harness.config import Thresholds
from harness.evaluate.load import EvaluateError, load_run

__all__ = ["EvaluateError", "evaluate", "judge_run", "load_run"]


def evaluate(run_dir: Path) -> tuple[Verdict, RunData]:
    """The verdict on what the run directory holds, and what it was judged from."""
    data = load_run(run_dir)
    return judge(data, data.thresholds or Thresholds()), data


def judge_run(run_dir: Path) -> Verdict:
    """Recompute the verdict from stored data and write every report file."""
    from harness.report.render import write_outputs

    verdict, data = evaluate(run_dir)
    write_outputs(run_dir, verdict, data)
    return verdict
