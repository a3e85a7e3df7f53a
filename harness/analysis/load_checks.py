"""Checks on what the load generator and the target's own output saw."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Check, RunData, Span, Status
from harness.analysis.pauses import LATENCY_SHARE, in_flight_during, material, named
from harness.config import Thresholds
from shared import human
from vocab.events import EventKind

LISTENER_WARNING = "MaxListenersExceededWarning"
EGRESS_REFUSED = EventKind.EGRESS_REFUSED
# Fewer updates after the warm-up than this give no p95 worth a verdict: Locust's whole-load one then.
MIN_LATENCY_SAMPLES = 20


def error_ratio(data: RunData, limits: Thresholds) -> Check | None:
    if limits.error_ratio_max is None:
        return None
    stats, limit = data.load_stats, limits.error_ratio_max
    if stats is None or stats.requests == 0:
        return Check("error_ratio", Status.INCONCLUSIVE, None, limit, "ratio", data.load, "no load statistics")
    ratio = stats.failures / stats.requests
    status = Status.PASS if ratio <= limit else Status.FAIL
    detail = (f"{human.count(stats.failures)} of {human.count(stats.requests)} webhook requests failed "
              f"({human.percent(ratio)}), limit {human.percent(limit)}")  # fmt: skip
    return Check("error_ratio", status, ratio, limit, "ratio", data.load, detail)


def _judged_latencies_s(
    data: RunData, judged: Span, window_s: float, limit_s: float
) -> tuple[NDArray[np.float64] | None, str]:
    """Answer latencies of the updates due in the judged span that none of soak's own pauses held up
    (None when too few were recorded), and what was left apart, in words."""
    points = data.answer_latency
    if points is None:
        return None, ""
    pauses = material(data.pauses, limit_s * LATENCY_SHARE)
    due = (points.t_s >= judged.start_s) & (points.t_s <= judged.end_s)
    held = due & in_flight_during(points.t_s, points.values, pauses, window_s)
    apart = ""
    if held.any():
        slowest = int(np.argmax(np.where(held, points.values, -1.0)))
        t_s, worst_s = float(points.t_s[slowest]), float(points.values[slowest])
        pause = next(p for p in pauses if in_flight_during(np.array([t_s]), np.array([worst_s]), (p,), window_s)[0])
        apart = (f"; {int(held.sum())} updates in flight during soak's own pauses of the target or their backlog "
                 f"judged apart (slowest {worst_s * 1000:.0f} ms, during {pause.label})")  # fmt: skip
    inside = points.values[due & ~held]
    if inside.size < MIN_LATENCY_SAMPLES and held.any():
        return None, f"every update due after the warm-up met a pause soak imposed ({named(pauses)}){apart}"
    return (inside if inside.size >= MIN_LATENCY_SAMPLES else None), apart


def latency_p95(data: RunData, limits: Thresholds) -> Check | None:
    """The webhook's p95 over the judged span (the load after warmup), like every trend: the first
    seconds of load (cold JIT, pools and TLS sessions opening, users spawning at once) are a start,
    not the service's latency. Locust's whole-load figure when the scenario kept no per-update log."""
    if limits.latency_p95_max_s is None:
        return None
    limit, stats = limits.latency_p95_max_s, data.load_stats
    judged = Span(data.load.start_s + limits.warmup_s, data.load.end_s)
    latencies_s, apart = _judged_latencies_s(data, judged, limits.window_s, limit)
    if latencies_s is not None:
        p95_s = float(np.quantile(latencies_s, 0.95, method="inverted_cdf"))
        detail = (f"webhook p95 {human.duration(p95_s)} over {latencies_s.size} updates due after the "
                  f"{human.duration(limits.warmup_s)} warm-up, limit {human.duration(limit)}{apart}")  # fmt: skip
        if stats is not None and stats.p95_s is not None:
            detail += f"; whole load, warm-up included: {human.duration(stats.p95_s)} (Locust)"
        status = Status.PASS if p95_s <= limit else Status.FAIL
        return Check("latency_p95", status, p95_s, limit, "s", judged, detail)
    if apart:
        return Check("latency_p95", Status.INCONCLUSIVE, None, limit, "s", judged, apart.removeprefix("; "))
    if stats is None or stats.p95_s is None:
        return Check("latency_p95", Status.INCONCLUSIVE, None, limit, "s", data.load, "no latency statistics")
    status = Status.PASS if stats.p95_s <= limit else Status.FAIL
    detail = f"webhook p95 {human.duration(stats.p95_s)} over the whole load (Locust), limit {human.duration(limit)}"
    return Check("latency_p95", status, stats.p95_s, limit, "s", data.load, detail)


def listener_warnings(data: RunData, limits: Thresholds) -> Check | None:
    if limits.listener_warnings_max is None:
        return None
    seen, limit = data.log_counts.get(LISTENER_WARNING, 0), limits.listener_warnings_max
    status = Status.PASS if seen <= limit else Status.FAIL
    detail = f"{seen} {LISTENER_WARNING} lines in target.log, limit {limit}"
    return Check("listener_warnings", status, float(seen), float(limit), "lines", None, detail)


def egress_refused(data: RunData, limits: Thresholds) -> Check | None:
    """The target tried to reach a host off the machine: a new dependency or a missed redirect."""
    if limits.egress_refused_max is None or EGRESS_REFUSED not in data.log_counts:
        return None
    seen, limit = data.log_counts[EGRESS_REFUSED], limits.egress_refused_max
    status = Status.PASS if seen <= limit else Status.FAIL
    detail = f"{seen} connections off the machine refused by the egress guard (events.jsonl), limit {limit}"
    return Check(EventKind.EGRESS_REFUSED, status, float(seen), float(limit), "connections", None, detail)


LOAD_CHECKS = (error_ratio, latency_p95, listener_warnings, egress_refused)
