"""Series of the work section, window by window, from the per-update accounting (every flow
together) and from Locust's history: what completed, how long it took, what it cost upstream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from harness.analysis.flows import CALLBACK_FLOW, Accounting, latency_quantile_s
from harness.analysis.model import Curve
from vocab.metrics import CALLS_PER_UPDATE_PREFIX, Metric, calls_per_update

COMPLETED = Metric.UPDATES_COMPLETED
LOST = Metric.UPDATES_LOST
EXPLAINED = Metric.UPDATES_EXPLAINED
E2E_QUANTILES = {Metric.E2E_LATENCY_P50_S: 0.5, Metric.E2E_LATENCY_P95_S: 0.95, Metric.E2E_LATENCY_P99_S: 0.99}
ERROR_RATIO = Metric.ERROR_RATIO
CALLS_PER_UPDATE = CALLS_PER_UPDATE_PREFIX  # + upstream


@dataclass
class _Window:
    updates: int = 0
    completed: int = 0
    lost: int = 0
    explained: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    latency_counts: list[int] = field(default_factory=list)


def _by_window(accounting: Accounting) -> dict[float, _Window]:
    """Every flow's windows summed per window, keyed by the window's centre time."""
    merged: dict[float, _Window] = {}
    for w in accounting.windows:
        into = merged.setdefault((w.span.start_s + w.span.end_s) / 2, _Window())
        into.lost += w.lost  # as lost_updates counts them: a callback never answered is work lost
        into.explained += w.explained
        for key, count in w.calls.items():
            upstream = key.split(".", 1)[0]
            into.calls[upstream] = into.calls.get(upstream, 0) + count
        # A cursor-runner callback belongs to an update already counted in its own flow: its calls
        # are that update's cost, but it is no update sent (counted, it halved calls per update),
        # and its latency runs from the callback, not from a send (its own check judges it).
        if w.flow == CALLBACK_FLOW:
            continue
        into.updates += w.updates
        into.completed += w.completed
        if len(into.latency_counts) < len(w.latency_counts):
            into.latency_counts += [0] * (len(w.latency_counts) - len(into.latency_counts))
        for index, count in enumerate(w.latency_counts):
            into.latency_counts[index] += count
    return dict(sorted(merged.items()))


def _curve(points: Mapping[float, float | None]) -> Curve | None:
    kept = [(t, v) for t, v in points.items() if v is not None]
    if not kept:
        return None
    return Curve(tuple(t for t, _ in kept), tuple(v for _, v in kept))


def accounting_series(accounting: Accounting | None) -> dict[str, Curve]:
    """Completed, lost and fault-explained updates per window, end-to-end latency quantiles, and
    calls per update sent at each upstream, per window."""
    if accounting is None or not accounting.windows:
        return {}
    windows = _by_window(accounting)
    found: dict[str, Curve | None] = {
        COMPLETED: _curve({t: w.completed for t, w in windows.items()}),
        LOST: _curve({t: w.lost for t, w in windows.items()}),
        EXPLAINED: _curve({t: w.explained for t, w in windows.items()}),
    }
    for key, q in E2E_QUANTILES.items():
        found[key] = _curve({t: latency_quantile_s(tuple(w.latency_counts), q) for t, w in windows.items()})
    upstreams = sorted({upstream for w in windows.values() for upstream in w.calls})
    for upstream in upstreams:
        ratios = {t: w.calls.get(upstream, 0) / w.updates if w.updates else None for t, w in windows.items()}
        found[calls_per_update(upstream)] = _curve(ratios)
    return {key: curve for key, curve in found.items() if curve is not None}


def error_ratio(curves: Mapping[str, Curve]) -> Curve | None:
    """Failed share of the webhook requests of each second of Locust's history."""
    requests, failures = curves.get(Metric.REQUESTS_PER_S), curves.get(Metric.FAILURES_PER_S)
    if requests is None or failures is None:
        return None
    t_s = np.asarray(requests.t_s, dtype=float)
    sent = np.asarray(requests.values, dtype=float)
    failed = np.interp(t_s, np.asarray(failures.t_s, dtype=float), np.asarray(failures.values, dtype=float))
    keep = sent > 0
    if not keep.any():
        return None
    return Curve(tuple(t_s[keep].tolist()), tuple((failed[keep] / sent[keep]).tolist()))
