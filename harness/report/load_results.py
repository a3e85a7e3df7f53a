"""What the load itself adds to a verdict: the answers to bad input, and for a knee run the limits
its steps are judged by (not the run, which crosses them on purpose)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.bad_input import bad_input_answers
from harness.analysis.model import RunData, Verdict, overall
from harness.config import RunSpec, Thresholds
from harness.report.locust_stats import read_bad_input

_KNEE_LIMITS = {"error_ratio_max": None, "latency_p95_max_s": None, "e2e_latency_p95_max_s": None}
KNEE_NOTE = (
    "knee run: error_ratio_max, latency_p95_max and e2e_latency_p95_max are the limits each step must hold "
    "(the knee table), not checks over the run, which crosses them on purpose"
)


def limits_for(spec: RunSpec) -> Thresholds:
    """The thresholds the run is judged by: a knee run's error and latency limits judge its steps."""
    if spec.load.shape != "knee":
        return spec.thresholds
    return spec.thresholds.model_copy(update=_KNEE_LIMITS)


def with_bad_input(verdict: Verdict, run_dir: Path, data: RunData) -> Verdict:
    """The verdict with the check on the answers to bad input, when the run sent any."""
    check = bad_input_answers(read_bad_input(run_dir), data.load)
    if check is None:
        return verdict
    checks = (*verdict.checks, check)
    return Verdict(status=overall(checks), checks=checks)
