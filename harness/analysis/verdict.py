"""Combining every applicable check into a verdict."""

from __future__ import annotations

from harness.analysis.checks import CHECKS, RunCurves
from harness.analysis.model import Check, Verdict, overall
from harness.config import Thresholds


def judge(curves: RunCurves, limits: Thresholds) -> Verdict:
    checks: tuple[Check, ...] = tuple(
        check for check in (evaluate(curves, limits) for evaluate in CHECKS) if check is not None
    )
    return Verdict(status=overall(checks), checks=checks)
