"""Combining every applicable check into a verdict."""

from __future__ import annotations

from dataclasses import replace

from harness.analysis.amplification import calls_per_update_max
from harness.analysis.bad_input import bad_input_answers
from harness.analysis.churn_checks import connection_churn
from harness.analysis.flow_checks import accounting_checks
from harness.analysis.heap_growth import with_heap_growth
from harness.analysis.level_checks import always_alive
from harness.analysis.load_checks import LOAD_CHECKS
from harness.analysis.metric_limits import evaluate_metric_limits
from harness.analysis.model import Check, RunData, Span, Status, Verdict, overall
from harness.analysis.notes import verdict_notes
from harness.analysis.reach import silent_upstreams
from harness.analysis.rules import ALIVE, RULES, evaluate_rules
from harness.analysis.screen import screen
from harness.analysis.starved import with_starvation
from harness.analysis.work_checks import WORK_CHECKS
from harness.config import Thresholds

RESOURCE_CHECKS = frozenset(rule.check for rule in RULES)
METRIC_LIMIT_PREFIX = "metric."  # a limit on a recorded metric by name judges a resource too


def alive_span(data: RunData) -> Span:
    """From the first quiet sample (or the load) to the end of the cool-down (or of the record)."""
    start_s = data.baseline.start_s if data.baseline else data.load.start_s
    return Span(start_s, data.cooldown.end_s if data.cooldown else data.load.end_s)


def no_resource_check(checks: list[Check]) -> Check | None:
    """A run without any resource check cannot say the service does not leak: never a pass."""
    if any(check.name in RESOURCE_CHECKS or check.name.startswith(METRIC_LIMIT_PREFIX) for check in checks):
        return None
    detail = "no resource threshold set (e.g. rss_slope_max, fds_growth_max): soak cannot tell whether it leaks"
    return Check("resource_checks", Status.INCONCLUSIVE, None, 0.0, "", None, detail)


def judge(data: RunData, limits: Thresholds) -> Verdict:
    """Every check that applies to the run, its notes and its overall status."""
    checks: list[Check] = []
    if ALIVE in data.curves or data.target_exit is not None:
        checks.append(always_alive(data.curves.get(ALIVE), alive_span(data), data.target_exit, data.fault_windows))
    checks.extend(evaluate_rules(data, limits))
    checks.extend(evaluate_metric_limits(data, limits))
    if (missing := no_resource_check(checks)) is not None:
        checks.append(missing)
    checks.extend(connection_churn(data, limits))
    checks.extend(calls_per_update_max(data, limits))
    checks.extend(silent_upstreams(data, limits))
    checks.extend(accounting_checks(data, limits))
    evaluators = (*WORK_CHECKS, *LOAD_CHECKS)
    checks.extend(check for check in (evaluate(data, limits) for evaluate in evaluators) if check is not None)
    checks = list(with_starvation(tuple(checks), data))
    checks.extend(screen(data, limits, judged={check.metric for check in checks if check.metric}))
    verdict = with_heap_growth(Verdict(status=overall(tuple(checks)), checks=tuple(checks)), data.heap_growth)
    # The answers to bad input come last, after the heap's evidence is attached (as it always was).
    if (answers := bad_input_answers(data.bad_input, data.load)) is not None:
        verdict = replace(verdict, status=overall((*verdict.checks, answers)), checks=(*verdict.checks, answers))
    return replace(verdict, notes=verdict_notes(data), warmup_s=limits.warmup_s)
