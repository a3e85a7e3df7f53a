"""Trend checks: growth over time or per request, robust to the GC sawtooth, aware of plateaus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from harness.analysis.guides import line
from harness.analysis.model import Check, Curve, GuideRole, Span, Status
from harness.analysis.trend import theil_sen_intercept, trend
from harness.analysis.windows import value_at, window_medians


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


def with_guides(check: Check, t_s: NDArray[np.float64], x: NDArray[np.float64], y: NDArray[np.float64]) -> Check:
    """The window medians judged, the Theil-Sen line through them, and the line growing at the
    limit from the fit's start: x is time or updates handled, drawn at the windows' times."""
    guides = [line(GuideRole.JUDGED, "window medians", t_s, y)]
    if check.figure is not None and x.size:
        fit = theil_sen_intercept(x, y, check.figure) + check.figure * x
        allowed = fit[0] + check.limit * (x - x[0])
        guides += [line(GuideRole.FIT, "Theil-Sen fit", t_s, fit), line(GuideRole.LIMIT, "limit", t_s, allowed)]
    return replace(check, guides=tuple(guides))


@dataclass(frozen=True)
class TrendSettings:
    window_s: float
    min_windows: int
    alpha: float


def slope_per_hour(name: str, curve: Curve, span: Span, limit_per_s: float, settings: TrendSettings) -> Check:
    """Slope of window medians against time, limit in units per second, shown per hour."""
    t_s, medians = window_medians(curve, span, settings.window_s)
    if t_s.size < settings.min_windows:
        return too_little(name, limit_per_s, "B/s", span, have=t_s.size, need=settings.min_windows)

    def describe(slope: float) -> str:
        mib_h = 3600 / 2**20
        return f"{slope * mib_h:.2f} MiB/h (limit {limit_per_s * mib_h:.2f}) over {t_s.size} windows"

    check = trend_check(TrendInput(name, t_s, medians, limit_per_s, "B/s", span, describe), settings.alpha)
    return with_guides(check, t_s, t_s, medians)


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
    t_s, medians = window_medians(curve, span, settings.window_s)
    if t_s.size < settings.min_windows:
        return too_little(name, limit, "B/req", span, have=t_s.size, need=settings.min_windows)
    handled = value_at(requests, t_s)
    if np.ptp(handled) == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, "B/req", span, "no requests handled")

    def describe(slope: float) -> str:
        return f"{slope:.0f} B per {per} (limit {limit:.0f}) over {int(np.ptp(handled))} of them"

    check = trend_check(TrendInput(name, handled, medians, limit, "B/req", span, describe), settings.alpha)
    return with_guides(check, t_s, handled, medians)
