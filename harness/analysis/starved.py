"""A machine too busy to judge latency on: checks of time and of work finished in time that fail
while the machine ran several runnable tasks per core are inconclusive, as a service starved of CPU
by other work cannot be told from a slow one (a shared CI runner, other test suites)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.analysis.model import Check, RunData, Span, Status
from harness.analysis.windows import within
from vocab.metrics import Metric

# Runnable tasks per core (1-minute load average). A run at a high rate keeps about 2 per core busy
# on a 2-core machine itself (target, Locust, mocks, Redis, collector); clean matrix runs held their
# work at up to 5; lost work and 20-70 s end-to-end times were measured at 7-9 with other suites.
STARVED_LOAD_PER_CORE = 4.0
LAG_S = 60.0  # the 1-minute average trails what it averages
# Checks whose figure is time, or work not finished in time.
TIMED = ("lost_updates", "e2e_latency_p95", "latency_p95", "loop_delay_p99", "error_ratio")


def _timed(name: str) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in TIMED)


def busiest(data: RunData, span: Span) -> float | None:
    """The highest load per core around the span (the average's lag included), if recorded."""
    curve = data.curves.get(Metric.LOAD_PER_CORE)
    if curve is None:
        return None
    _, values = within(curve, Span(span.start_s, span.end_s + LAG_S))
    return float(np.max(values)) if values.size else None


def with_starvation(checks: tuple[Check, ...], data: RunData) -> tuple[Check, ...]:
    """The failing timed checks made inconclusive where the machine was starved when they failed."""
    return tuple(_judged(check, data) for check in checks)


def _judged(check: Check, data: RunData) -> Check:
    if check.status is not Status.FAIL or not _timed(check.name):
        return check
    span = check.peak_span or check.span
    load = None if span is None else busiest(data, span)
    if load is None or load < STARVED_LOAD_PER_CORE:
        return check
    why = (f"; the machine ran {load:.1f} runnable tasks per core (1-minute load average) when it failed, "
           f"{STARVED_LOAD_PER_CORE:g} or more: a service starved of CPU by other work cannot be told from a "
           "slow one, run it again on a quieter machine")  # fmt: skip
    return replace(check, status=Status.INCONCLUSIVE, detail=check.detail + why)
