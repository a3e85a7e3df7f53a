"""A service too starved of CPU to judge latency on: checks of time and of work finished in time that
fail while the target's main thread waited for a CPU as long as it ran, or while the machine ran
several runnable tasks per core, are inconclusive, as a service starved by other work (a shared CI
runner, other test suites, a container's CPU quota) cannot be told from a slow one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.windows import within
from vocab.metrics import Metric

# Runnable tasks per core (1-minute load average), which starves soak's mocks and Locust as well as
# the target, and stands where the kernel keeps no schedstat. A run at a high rate keeps about 2 per
# core busy on a 2-core machine itself (target, Locust, mocks, Redis, collector); clean matrix runs
# held their work at up to 5; lost work and 20-70 s end-to-end times were measured at 7-9 with other
# suites.
STARVED_LOAD_PER_CORE = 4.0
LAG_S = 60.0  # the 1-minute average trails what it averages; work judged late trails its cause
# Seconds the target's main thread (the event loop) waited for a CPU per second, in a 10-s window,
# at least as long as it ran: its work took twice its CPU time or more. Measured on a 2-core machine
# at load averages under 1: 0.04-0.11 s/s waiting beside 0.08-0.27 s/s on a CPU.
STARVED_WAIT_RATIO = 0.25
WAIT_WINDOW_S = 10.0
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


def starved_window(data: RunData, span: Span) -> tuple[float, float] | None:
    """Of the 10-s windows around the span where the target's main thread waited for a CPU at least
    STARVED_WAIT_RATIO and at least as long as it ran, the one where it waited longest: its (wait,
    run) seconds per second. None if there is none, or nothing was recorded."""
    wait, run = data.curves.get(Metric.MAIN_THREAD_WAIT_RATIO), data.curves.get(Metric.MAIN_THREAD_RUN_RATIO)
    if wait is None or run is None:
        return None
    around = Span(span.start_s, span.end_s + LAG_S)
    wait_means, run_means = _window_means(wait, around), _window_means(run, around)
    if wait_means.size != run_means.size:
        return None
    starved = (wait_means >= STARVED_WAIT_RATIO) & (wait_means >= run_means)
    if not starved.any():
        return None
    worst = int(np.argmax(np.where(starved, wait_means, -np.inf)))
    return float(wait_means[worst]), float(run_means[worst])


def _window_means(curve: Curve, span: Span) -> np.ndarray:
    t_s, values = within(curve, span)
    bins = np.floor((t_s - span.start_s) / WAIT_WINDOW_S).astype(np.intp)
    size = int(np.ceil((span.end_s - span.start_s) / WAIT_WINDOW_S)) + 1
    counts = np.bincount(bins, minlength=size)
    sums = np.bincount(bins, weights=values, minlength=size)
    return sums[counts > 0] / counts[counts > 0] if values.size else np.empty(0)


def with_starvation(checks: tuple[Check, ...], data: RunData) -> tuple[Check, ...]:
    """The failing timed checks made inconclusive where the target was starved when they failed."""
    return tuple(_judged(check, data) for check in checks)


def _judged(check: Check, data: RunData) -> Check:
    if check.status is not Status.FAIL or not _timed(check.name):
        return check
    span = check.peak_span or check.span
    why = None if span is None else _why_starved(data, span)
    if why is None:
        return check
    return replace(check, status=Status.INCONCLUSIVE, detail=f"{check.detail}; {why}")


def _why_starved(data: RunData, span: Span) -> str | None:
    waited = starved_window(data, span)
    if waited is not None:
        wait, run = waited
        return (f"the target's main thread waited for a CPU {wait:.2f} s per second and ran {run:.2f} s "
                "when it failed (its work took twice its CPU time or more): a service starved of CPU by "
                "other work cannot be told from a slow one, run it again on a quieter machine")  # fmt: skip
    load = busiest(data, span)
    if load is not None and load >= STARVED_LOAD_PER_CORE:
        return (f"the machine ran {load:.1f} runnable tasks per core (1-minute load average) when it failed, "
                f"{STARVED_LOAD_PER_CORE:g} or more: a service starved of CPU by other work cannot be told "
                "from a slow one, run it again on a quieter machine")  # fmt: skip
    return None
