"""Trend checks: growth over time or per request, robust to the GC sawtooth, aware of plateaus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Check, Curve, Span, Status
from harness.analysis.trend import trend
from harness.analysis.windows import MAX_TREND_WINDOWS, trend_window_s, value_at, window_medians


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


def too_little(name: str, limit: float, unit: str, span: Span, *, have: int, need: int) -> Check:
    detail = f"{have} windows in the judged span, {need} needed"
    return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, detail)


def _later_half_slope(x: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    half = x.size // 2
    return trend(x[half:], y[half:]).slope if x.size - half >= 4 else None


def trend_check(question: TrendInput, alpha: float) -> Check:
    """Fail on a significant rise above the limit that is still rising at the end of the span.

    A rise that stopped (a cache or pool reaching its size) is a plateau, reported as a pass
    with the level reached; a rise that is not significant is inconclusive, never a pass.
    """
    found = trend(question.x, question.y)
    detail = f"{question.describe(found.slope)}, Mann-Kendall p={found.p_value:.3g}"
    status = Status.PASS
    if found.slope > question.limit:
        later = _later_half_slope(question.x, question.y)
        if later is not None and later <= question.limit:
            detail += f"; plateau: later-half {question.describe(later)}, level {question.y[-1]:.4g}"
        elif found.increasing and found.p_value < alpha:
            status = Status.FAIL
        else:
            status = Status.INCONCLUSIVE
    return Check(question.name, status, found.slope, question.limit, question.unit, question.span, detail)


def _widened(window_s: float, asked_s: float) -> str:
    return (
        ""
        if window_s == asked_s
        else f" (windows of {window_s:g} s, not {asked_s:g} s: a trend test takes at most {MAX_TREND_WINDOWS})"
    )


@dataclass(frozen=True)
class TrendSettings:
    window_s: float
    min_windows: int
    alpha: float


def slope_per_hour(name: str, curve: Curve, span: Span, limit_per_s: float, settings: TrendSettings) -> Check:
    """Slope of window medians against time, limit in units per second, shown per hour."""
    window_s = trend_window_s(span, settings.window_s)
    t_s, medians = window_medians(curve, span, window_s)
    if t_s.size < settings.min_windows:
        return too_little(name, limit_per_s, "B/s", span, have=t_s.size, need=settings.min_windows)

    def describe(slope: float) -> str:
        mib_h = 3600 / 2**20
        over = f"over {t_s.size} windows{_widened(window_s, settings.window_s)}"
        return f"{slope * mib_h:.2f} MiB/h (limit {limit_per_s * mib_h:.2f}) {over}"

    return trend_check(TrendInput(name, t_s, medians, limit_per_s, "B/s", span, describe), settings.alpha)


def slope_per_request(
    name: str,
    curve: Curve,
    requests: Curve | None,
    span: Span,
    *,
    limit: float,
    settings: TrendSettings,
    per: str = "request",
) -> Check:
    """Slope of window medians against the requests handled by then: independent of load level."""
    if requests is None or len(requests.t_s) < 2:
        return Check(name, Status.INCONCLUSIVE, None, limit, "B/req", span, "no request counter recorded")
    window_s = trend_window_s(span, settings.window_s)
    t_s, medians = window_medians(curve, span, window_s)
    if t_s.size < settings.min_windows:
        return too_little(name, limit, "B/req", span, have=t_s.size, need=settings.min_windows)
    handled = value_at(requests, t_s)
    if np.ptp(handled) == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, "B/req", span, "no requests handled")

    def describe(slope: float) -> str:
        over = f"over {int(np.ptp(handled))} of them{_widened(window_s, settings.window_s)}"
        return f"{slope:.0f} B per {per} (limit {limit:.0f}) {over}"

    return trend_check(TrendInput(name, handled, medians, limit, "B/req", span, describe), settings.alpha)
