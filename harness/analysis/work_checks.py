"""Whether the service did its work: upstream calls per update, and requests that broke an upstream's API.

A service that stops replying (a broken redirect, a dead dependency, a swallowed error) still
answers its webhook 200 at once, so neither the load's error ratio nor any resource curve shows it.
"""

from __future__ import annotations

from harness.analysis.churn_checks import UPSTREAMS
from harness.analysis.model import Check, RunData, Span, Status
from harness.analysis.rules import REQUESTS as CALLS
from harness.analysis.rules import UPDATES
from harness.analysis.windows import rise_over
from harness.config import Thresholds
from shared import human
from vocab.metrics import mock_violations

MIN_UPDATES = 20  # fewer updates than this say nothing about a ratio


def upstream_calls_per_update(data: RunData, limits: Thresholds) -> Check | None:
    limit = limits.upstream_calls_per_update_min
    if limit is None:
        return None
    name, unit = "upstream_calls_per_update", "calls/update"
    span = Span(data.load.start_s + limits.warmup_s, data.load.end_s)
    calls, updates = data.curves.get(CALLS), data.curves.get(UPDATES)
    if calls is None or updates is None or span.end_s <= span.start_s:
        why = "mock or Locust counters not recorded" if span.end_s > span.start_s else "nothing after the warm-up"
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, why)
    sent, made = rise_over(updates, span), rise_over(calls, span)
    if sent < MIN_UPDATES:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, f"only {human.count(sent)} updates sent")
    ratio = made / sent
    status = Status.PASS if ratio >= limit else Status.FAIL
    detail = (f"{human.count(made)} upstream calls for {human.count(sent)} updates = {human.number(ratio)} per update, "
              f"at least {human.number(limit)} expected")  # fmt: skip
    return Check(name, status, ratio, limit, unit, span, detail, CALLS)


def contract_violations(data: RunData, limits: Thresholds) -> Check | None:
    """Requests the mocks refused as breaking their upstream's API, over the whole run."""
    limit = limits.contract_violations_max
    if limit is None:
        return None
    curves = {up: data.curves.get(mock_violations(up)) for up in UPSTREAMS}
    recorded = {up: curve for up, curve in curves.items() if curve is not None and curve.values.size}
    if not recorded:
        return None  # on by default, so a run without the mocks (soak collect) is not made inconclusive
    by_upstream = {up: float(curve.values[-1] - curve.values[0]) for up, curve in recorded.items()}
    seen = sum(by_upstream.values())
    status = Status.PASS if seen <= limit else Status.FAIL
    parts = ", ".join(f"{up} {human.count(count)}" for up, count in by_upstream.items() if count)
    where = f" ({parts}; the mocks' upstream-calls.jsonl marks each)" if parts else ""
    detail = f"{human.count(seen)} requests broke an upstream's API{where}, limit {limit}"
    metric = max(by_upstream, key=lambda up: by_upstream[up])
    return Check(
        "contract_violations",
        status,
        seen,
        float(limit),
        "requests",
        None,
        detail,
        mock_violations(metric),
    )


WORK_CHECKS = (upstream_calls_per_update, contract_violations)
