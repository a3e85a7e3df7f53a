"""Threshold checks over the load phase after warm-up; each returns its figure and evidence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.analysis.model import Check, Curve, Span, Status
from harness.analysis.trend import Trend, trend
from harness.analysis.windows import value_at, window_medians, within
from harness.config import Thresholds


@dataclass(frozen=True)
class RunCurves:
    """What a verdict is computed from: the recorded curves and the load phase."""

    rss: Curve | None
    fds: Curve | None
    requests: Curve | None
    alive: Curve | None
    load: Span


def judged_span(curves: RunCurves, limits: Thresholds) -> Span:
    return Span(curves.load.start_s + limits.warmup_s, curves.load.end_s)


def _too_little(name: str, limit: float, unit: str, span: Span, *, have: int, need: int) -> Check:
    detail = f"{have} windows after warm-up, {need} needed"
    return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, detail)


def _trend_status(figure: float, limit: float, found: Trend, alpha: float) -> Status:
    """Above the limit fails only with a significant rising trend; otherwise it is unproven."""
    if figure <= limit:
        return Status.PASS
    return Status.FAIL if found.increasing and found.p_value < alpha else Status.INCONCLUSIVE


def rss_slope(curves: RunCurves, limits: Thresholds) -> Check | None:
    if limits.rss_slope_max is None or curves.rss is None:
        return None
    span = judged_span(curves, limits)
    t_s, medians = window_medians(curves.rss, span, limits.window_s)
    if t_s.size < limits.min_windows:
        return _too_little("rss_slope", limits.rss_slope_max, "B/s", span, have=t_s.size, need=limits.min_windows)
    found = trend(t_s, medians)
    status = _trend_status(found.slope, limits.rss_slope_max, found, limits.significance)
    detail = (
        f"Theil-Sen slope {found.slope * 3600 / 2**20:.2f} MiB/h over {t_s.size} window medians, "
        f"limit {limits.rss_slope_max * 3600 / 2**20:.2f} MiB/h, Mann-Kendall p={found.p_value:.3g}"
    )
    return Check("rss_slope", status, found.slope, limits.rss_slope_max, "B/s", span, detail)


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
    found = trend(handled, medians)
    status = _trend_status(found.slope, limit, found, limits.significance)
    detail = (
        f"{found.slope:.0f} B per upstream request over {int(np.ptp(handled))} requests, "
        f"limit {limit:.0f} B/req, Mann-Kendall p={found.p_value:.3g}"
    )
    return Check("rss_per_request", status, found.slope, limit, "B/req", span, detail)


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


CHECKS = (target_alive, rss_slope, rss_per_request, rss_max, fds_growth)
