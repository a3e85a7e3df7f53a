"""Resource checks over the load phase after warm-up; each returns its figure and evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Check, Curve, Span, Status
from harness.analysis.trend import Trend, trend
from harness.analysis.windows import value_at, window_medians, within
from harness.config import Thresholds


@dataclass(frozen=True)
class LoadStats:
    """What the load generator saw over the whole run."""

    requests: int
    failures: int
    p95_s: float | None


@dataclass(frozen=True)
class RunCurves:
    """What a verdict is computed from: the recorded curves, the load phase and the load's stats."""

    rss: Curve | None
    fds: Curve | None
    requests: Curve | None
    alive: Curve | None
    load: Span
    load_stats: LoadStats | None = None


def judged_span(curves: RunCurves, limits: Thresholds) -> Span:
    return Span(curves.load.start_s + limits.warmup_s, curves.load.end_s)


def _too_little(name: str, limit: float, unit: str, span: Span, *, have: int, need: int) -> Check:
    detail = f"{have} windows after warm-up, {need} needed"
    return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, detail)


@dataclass(frozen=True)
class TrendInput:
    """A trend check's question: does y grow with x faster than limit?"""

    name: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    limit: float
    unit: str
    span: Span
    describe: Callable[[float], str]


def _plateau_slope(x: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    """Slope over the later half of the windows, when there are enough of them to say."""
    half = x.size // 2
    return trend(x[half:], y[half:]).slope if x.size - half >= 4 else None


def trend_check(question: TrendInput, alpha: float) -> Check:
    """Fail on a significant rise above the limit that is still rising at the end of the span.

    A rise that stopped (a cache or pool reaching its size) is a plateau, reported as a pass
    with the level reached; a rise that is not significant is inconclusive, never a pass.
    """
    found: Trend = trend(question.x, question.y)
    detail = f"{question.describe(found.slope)}, Mann-Kendall p={found.p_value:.3g}"
    status = Status.PASS
    if found.slope > question.limit:
        later = _plateau_slope(question.x, question.y)
        if later is not None and later <= question.limit:
            status = Status.PASS
            detail += f"; plateau: later-half slope {question.describe(later)} at level {question.y[-1]:.4g}"
        elif found.increasing and found.p_value < alpha:
            status = Status.FAIL
        else:
            status = Status.INCONCLUSIVE
    return Check(question.name, status, found.slope, question.limit, question.unit, question.span, detail)


def rss_slope(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.rss_slope_max is None or curves.rss is None:
        return None
    span, limit = judged_span(curves, limits), limits.rss_slope_max
    t_s, medians = window_medians(curves.rss, span, limits.window_s)
    if t_s.size < limits.min_windows:
        return _too_little("rss_slope", limit, "B/s", span, have=t_s.size, need=limits.min_windows)

    def describe(slope: float) -> str:
        mib_h = 3600 / 2**20
        return f"{slope * mib_h:.2f} MiB/h (limit {limit * mib_h:.2f}) over {t_s.size} windows"

    question = TrendInput("rss_slope", t_s, medians, limit, "B/s", span, describe)
    return trend_check(question, limits.significance)


def rss_per_request(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.rss_per_request_max is None or curves.rss is None:
        return None
    span = judged_span(curves, limits)
    limit = limits.rss_per_request_max
    if curves.requests is None or len(curves.requests.t_s) < 2:
        return Check("rss_per_request", Status.INCONCLUSIVE, None, limit, "B/req", span, "no request counter recorded")
    t_s, medians = window_medians(curves.rss, span, limits.window_s)
    if t_s.size < limits.min_windows:
        return _too_little("rss_per_request", limit, "B/req", span, have=t_s.size, need=limits.min_windows)
    handled = value_at(curves.requests, t_s)
    if np.ptp(handled) == 0:
        return Check("rss_per_request", Status.INCONCLUSIVE, None, limit, "B/req", span, "no requests handled")

    def describe(slope: float) -> str:
        return f"{slope:.0f} B per upstream request (limit {limit:.0f}) over {int(np.ptp(handled))} requests"

    question = TrendInput("rss_per_request", handled, medians, limit, "B/req", span, describe)
    return trend_check(question, limits.significance)


def rss_max(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.rss_max is None or curves.rss is None:
        return None
    span = Span(curves.rss.t_s[0], curves.rss.t_s[-1]) if curves.rss.t_s else None
    if span is None:
        return Check("rss_max", Status.INCONCLUSIVE, None, limits.rss_max, "B", None, "no RSS samples")
    peak = max(curves.rss.values)
    status = Status.PASS if peak <= limits.rss_max else Status.FAIL
    detail = f"peak RSS {peak / 2**20:.1f} MiB, limit {limits.rss_max / 2**20:.1f} MiB"
    return Check("rss_max", status, peak, limits.rss_max, "B", span, detail)


def fds_growth(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.fds_growth_max is None or curves.fds is None:
        return None
    span = judged_span(curves, limits)
    t_s, medians = window_medians(curves.fds, span, limits.window_s)
    if t_s.size < 2:
        return _too_little("fds_growth", limits.fds_growth_max, "fds", span, have=t_s.size, need=2)
    growth = float(medians[-1] - medians[0])
    status = Status.PASS if growth <= limits.fds_growth_max else Status.FAIL
    detail = f"open fds {medians[0]:.0f} -> {medians[-1]:.0f} (window medians), limit +{limits.fds_growth_max:.0f}"
    return Check("fds_growth", status, growth, limits.fds_growth_max, "fds", span, detail)


def target_alive(curves: RunCurves, limits: Thresholds) -> Check | None:
    if curves.alive is None:
        return None
    _, alive = within(curves.alive, curves.load)
    deaths = int(np.sum(alive < 1))
    status = Status.PASS if deaths == 0 else Status.FAIL
    detail = "target alive through the load phase" if deaths == 0 else f"target not running in {deaths} samples"
    return Check("target_alive", status, float(deaths), 0.0, "samples", curves.load, detail)


def error_ratio(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.error_ratio_max is None:
        return None
    stats, limit = curves.load_stats, limits.error_ratio_max
    if stats is None or stats.requests == 0:
        return Check("error_ratio", Status.INCONCLUSIVE, None, limit, "ratio", curves.load, "no load statistics")
    ratio = stats.failures / stats.requests
    status = Status.PASS if ratio <= limit else Status.FAIL
    detail = f"{stats.failures} of {stats.requests} webhook requests failed ({ratio:.2%}), limit {limit:.2%}"
    return Check("error_ratio", status, ratio, limit, "ratio", curves.load, detail)


def latency_p95(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.latency_p95_max_s is None:
        return None
    stats, limit = curves.load_stats, limits.latency_p95_max_s
    if stats is None or stats.p95_s is None:
        return Check("latency_p95", Status.INCONCLUSIVE, None, limit, "s", curves.load, "no latency statistics")
    status = Status.PASS if stats.p95_s <= limit else Status.FAIL
    detail = f"webhook p95 {stats.p95_s * 1000:.0f} ms, limit {limit * 1000:.0f} ms"
    return Check("latency_p95", status, stats.p95_s, limit, "s", curves.load, detail)


CHECKS = (target_alive, rss_slope, rss_per_request, rss_max, fds_growth, error_ratio, latency_p95)
