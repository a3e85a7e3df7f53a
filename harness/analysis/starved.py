"""A service too starved of CPU to judge latency on: checks of time and of work finished in time that
fail while the target's main thread waited for a CPU twice as long as it ran, while soak's own mocks or
Locust had no time to spare, or while the machine ran several runnable tasks per core, are
inconclusive, as a service starved by other work (a shared CI runner, other test suites, a
container's CPU quota) or served late by soak cannot be told from a slow one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.windows import within
from vocab.metrics import (
    LOCUST_ROLE,
    MOCKS_ROLE,
    TARGET_ROLE,
    TIMING_ROLES,
    Metric,
    main_thread_run,
    main_thread_wait,
)

# Runnable tasks per core (1-minute load average), which starves soak's mocks and Locust as well as
# the target, and stands where the kernel keeps no schedstat. A run at a high rate keeps about 2 per
# core busy on a 2-core machine itself (target, Locust, mocks, Redis, collector); clean matrix runs
# held their work at up to 5; lost work and 20-70 s end-to-end times were measured at 7-9 with other
# suites.
STARVED_LOAD_PER_CORE = 4.0
LAG_S = 60.0  # the 1-minute average trails what it averages; work judged late trails its cause
# Seconds the target's main thread (the event loop) waited for a CPU per second, in a 10-s window,
# and at least STARVED_WAIT_PER_RUN times what it ran: its work took three times its CPU time or
# more, more than contention alone makes of a healthy service's milliseconds. Measured on a 2-core
# machine: at load averages under 1, 0.04-0.11 s/s waiting beside 0.08-0.27 s/s on a CPU; at 3, up
# to 0.19 beside 0.18; held to a tenth of a CPU by a quota, 0.90 beside 0.06.
STARVED_WAIT_RATIO = 0.25
STARVED_WAIT_PER_RUN = 2.0
WAIT_WINDOW_S = 10.0
# A main thread of soak's own (the mocks' event loop, Locust's) runnable this share of a 10-s window
# has no time to spare: its answers, callbacks and timings run late.
SATURATED_RATIO = 0.9
_PART_WORDS = {MOCKS_ROLE: "mocks' event loop", LOCUST_ROLE: "Locust process"}
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


def _main_thread_windows(data: RunData, role: str, span: Span) -> tuple[np.ndarray, np.ndarray] | None:
    """The role's main thread's (wait, run) seconds per second in each 10-s window around the span."""
    wait, run = data.curves.get(main_thread_wait(role)), data.curves.get(main_thread_run(role))
    if wait is None or run is None:
        return None
    around = Span(span.start_s, span.end_s + LAG_S)
    wait_means, run_means = _window_means(wait, around), _window_means(run, around)
    return (wait_means, run_means) if wait_means.size == run_means.size else None


def _worst(wait: np.ndarray, run: np.ndarray, flagged: np.ndarray, by: np.ndarray) -> tuple[float, float] | None:
    if not flagged.any():
        return None
    worst = int(np.argmax(np.where(flagged, by, -np.inf)))
    return float(wait[worst]), float(run[worst])


def _starved(wait: np.ndarray, run: np.ndarray) -> np.ndarray:
    starved: np.ndarray = (wait >= STARVED_WAIT_RATIO) & (wait >= STARVED_WAIT_PER_RUN * run)
    return starved


def starved_window(data: RunData, span: Span) -> tuple[float, float] | None:
    """Of the 10-s windows around the span where the target's main thread waited for a CPU at least
    STARVED_WAIT_RATIO and STARVED_WAIT_PER_RUN times what it ran, the one where it waited longest:
    its (wait, run) seconds per second. None if there is none, or nothing was recorded."""
    windows = _main_thread_windows(data, TARGET_ROLE, span)
    if windows is None:
        return None
    wait, run = windows
    return _worst(wait, run, _starved(wait, run), wait)


def saturated_part(data: RunData, span: Span) -> tuple[str, float, float] | None:
    """soak's own part (the mocks, Locust) whose main thread was runnable (on a CPU or waiting for
    one) SATURATED_RATIO of a 10-s window around the span, or starved like a target: (role, wait,
    run) of its worst window; None if none was."""
    for role in _timing_roles(data):
        windows = _main_thread_windows(data, role, span)
        if windows is None:
            continue
        wait, run = windows
        busy = wait + run
        found = _worst(wait, run, (busy >= SATURATED_RATIO) | _starved(wait, run), busy)
        if found is not None:
            return (role, *found)
    return None


def _timing_roles(data: RunData) -> list[str]:
    """The mocks and every Locust process recorded (workers are locust_worker_N)."""
    suffix = main_thread_run("")
    roles = [name.removesuffix(suffix) for name in data.curves if name.endswith(suffix)]
    return [role for role in roles if role in TIMING_ROLES or role.startswith(f"{LOCUST_ROLE}_worker_")]


def _window_means(curve: Curve, span: Span) -> np.ndarray:
    t_s, values = within(curve, span)
    bins = np.floor((t_s - span.start_s) / WAIT_WINDOW_S).astype(np.intp)
    size = int(np.ceil((span.end_s - span.start_s) / WAIT_WINDOW_S)) + 1
    counts = np.bincount(bins, minlength=size)
    sums = np.bincount(bins, weights=values, minlength=size)
    return sums[counts > 0] / counts[counts > 0] if values.size else np.empty(0)


def with_starvation(checks: tuple[Check, ...], data: RunData) -> tuple[Check, ...]:
    """The failing timed checks made inconclusive where the target, soak's mocks or Locust were
    starved or saturated when they failed."""
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
    part = saturated_part(data, span)
    if part is not None:
        role, wait, run = part
        return (f"soak's own {_PART_WORDS.get(role, role)} was runnable {wait + run:.2f} s per second (ran "
                f"{run:.2f} s, waited {wait:.2f} s for a CPU) when it failed: what it answered or timed was "
                "late on soak's side, not the service's; give soak more CPU or run at a lower rate")  # fmt: skip
    waited = starved_window(data, span)
    if waited is not None:
        wait, run = waited
        return (f"the target's main thread waited for a CPU {wait:.2f} s per second and ran {run:.2f} s "
                "when it failed (its work took three times its CPU time or more): a service starved of CPU by "
                "other work cannot be told from a slow one, run it again on a quieter machine")  # fmt: skip
    load = busiest(data, span)
    if load is not None and load >= STARVED_LOAD_PER_CORE:
        return (f"the machine ran {load:.1f} runnable tasks per core (1-minute load average) when it failed, "
                f"{STARVED_LOAD_PER_CORE:g} or more: a service starved of CPU by other work cannot be told "
                "from a slow one, run it again on a quieter machine")  # fmt: skip
    return None
