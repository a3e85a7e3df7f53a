"""Calls at the mocks per upstream and route over time, streamed from upstream-calls.jsonl.

Counts are kept per second of the run, so memory grows with the run's length in seconds and the
number of routes, never with the number of calls.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from harness.accounting.records import UPDATES, UPSTREAM_CALLS, CallRecord, UpdateRecord, read_typed
from harness.analysis.model import Curve

__all__ = ["UPDATES", "UPSTREAM_CALLS", "accepted_curve", "answer_latency_points", "call_curves"]
# Calls the mocks make themselves (cursor-runner's callbacks to the service), not calls to an upstream.
OUTBOUND_ROUTES = frozenset({"callback_out"})


def call_curves(run_dir: Path, wall_minus_run_s: float | None) -> dict[str, Curve]:
    """Cumulative calls by "upstream.route" on the run's clock; empty without records or clock."""
    if wall_minus_run_s is None:
        return {}
    per_second: defaultdict[str, Counter[int]] = defaultdict(Counter)
    for record in read_typed(run_dir / UPSTREAM_CALLS, CallRecord):
        if record.route not in OUTBOUND_ROUTES:
            per_second[f"{record.up}.{record.route}"][int(record.t - wall_minus_run_s)] += 1
    return {key: _cumulative(counts) for key, counts in sorted(per_second.items())}


def accepted_curve(run_dir: Path, wall_minus_run_s: float | None) -> Curve | None:
    """Cumulative updates the webhook accepted (2xx), by send time on the run's clock; None without
    the scenario's log. Exact where Locust's per-second history lags its requests."""
    if wall_minus_run_s is None:
        return None
    per_second: Counter[int] = Counter()
    for record in read_typed(run_dir / UPDATES, UpdateRecord):
        if record.accepted and not record.bad_input:
            per_second[int(record.t - wall_minus_run_s)] += 1
    return _cumulative(per_second) if per_second else None


def answer_latency_points(run_dir: Path, wall_minus_run_s: float | None) -> Curve | None:
    """The webhook's answer latency (s) of every update the scenario recorded, at the time it was
    due (its send time, or its scheduled time in the open model) on the run's clock; None without
    the scenario's log. What Locust aggregates over the whole load, here with times to judge a span."""
    if wall_minus_run_s is None:
        return None
    t_s: list[float] = []
    latency_s: list[float] = []
    for record in read_typed(run_dir / UPDATES, UpdateRecord):
        if record.ms is not None:
            t_s.append((record.t if record.sched is None else record.sched) - wall_minus_run_s)
            latency_s.append(record.ms / 1000.0)
    return Curve(t_s, latency_s) if t_s else None


def _cumulative(counts: Counter[int]) -> Curve:
    """A step per busy second: the count before it at its start, after it at its end, so a window
    edge inside a quiet stretch reads the same total on both sides."""
    t_s: list[float] = []
    values: list[float] = []
    total = 0.0
    for second in sorted(counts):
        t_s += [float(second), float(second + 1)]
        values += [total, total + counts[second]]
        total += counts[second]
    return Curve(tuple(t_s), tuple(values))
