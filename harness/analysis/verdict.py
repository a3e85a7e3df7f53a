"""Combining every applicable check into a verdict."""

from __future__ import annotations

from harness.analysis.amplification import calls_per_update_max
from harness.analysis.churn_checks import connection_churn
from harness.analysis.flow_checks import accounting_checks
from harness.analysis.level_checks import always_alive
from harness.analysis.load_checks import LOAD_CHECKS
from harness.analysis.model import Check, RunData, Span, Verdict, overall
from harness.analysis.reach import silent_upstreams
from harness.analysis.rules import ALIVE, evaluate_rules
from harness.analysis.work_checks import WORK_CHECKS
from harness.config import Thresholds


def judge(data: RunData, limits: Thresholds) -> Verdict:
    checks: list[Check] = []
    if ALIVE in data.curves:
        # Through the cool-down too: a target that dies ends the load phase early (the runner stops
        # waiting on it), so its dead ticks fall after the load span.
        alive_span = Span(data.load.start_s, data.cooldown.end_s if data.cooldown else data.load.end_s)
        checks.append(always_alive(data.curves[ALIVE], alive_span))
    checks.extend(evaluate_rules(data, limits))
    checks.extend(connection_churn(data, limits))
    checks.extend(calls_per_update_max(data, limits))
    checks.extend(silent_upstreams(data, limits))
    checks.extend(accounting_checks(data, limits))
    evaluators = (*WORK_CHECKS, *LOAD_CHECKS)
    checks.extend(check for check in (evaluate(data, limits) for evaluate in evaluators) if check is not None)
    return Verdict(status=overall(tuple(checks)), checks=tuple(checks))
