"""Trend checks: growth over time or per request, robust to the GC sawtooth, aware of plateaus.

A plateau (a cache or pool at its size) must be shown, not assumed: the later half of the span
needs PLATEAU_MIN_WINDOWS windows and an upper confidence bound of its slope under the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from harness.analysis.guides import line
from harness.analysis.model import Check, Curve, GuideRole, Span, Status
from harness.analysis.trend import Trend, slope_bounds, theil_sen, theil_sen_intercept, trend
from harness.analysis.windows import MAX_TREND_WINDOWS, trend_window_s, value_at, window_floors, window_medians
from shared import human

PLATEAU_MIN_WINDOWS = 6
BYTES = "B"
# A leak's rise over the span stands out of how the level wanders around its trend; a clean
# runtime's heap after GC wanders by ~100 KiB over minutes (code, feedback, interned strings), and a
# wander of that size passes the significance tests when its windows lean one way for a while.
# Measured on the detection matrix's ten clean runs, every minute of 15: wherever the other tests
# would have failed it, the fitted rise was at most 2.9 times the windows' robust scatter around the
# fit (clean-06 failed heap_slope at minute 6 on 0.28 MiB), 4.6 at most anywhere; leaks when first
# found: 6.3 (64 B/update, minute 8) and 7.9 (512 B/update, minute 3).
MIN_RISE_OVER_SCATTER = 4.0


@dataclass(frozen=True)
class TrendInput:
    """A trend check's question: does y grow with x faster than limit?"""

    name: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    limit: float
    unit: str
    span: Span
    rate: Callable[[float], str]  # a slope in words, e.g. "1.20 MiB/h"
    over: str  # what the slope was measured over, e.g. "over 30 windows"


def too_little(name: str, limit: float, unit: str, span: Span, *, have: int, need: int) -> Check:
    detail = f"{have} windows in the judged span, {need} needed"
    return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, detail)


@dataclass(frozen=True)
class Plateau:
    """The later half of a span: its slope, the bounds on it, and how many windows it has."""

    slope: float
    upper_bound: float
    windows: int
    lower_bound: float = -float("inf")

    def shown(self, limit: float) -> bool:
        return self.windows >= PLATEAU_MIN_WINDOWS and self.upper_bound <= limit


def later_half(x: NDArray[np.float64], y: NDArray[np.float64], alpha: float) -> Plateau:
    half = x.size // 2
    later_x, later_y = x[half:], y[half:]
    lower, upper = slope_bounds(later_x, later_y, alpha)
    return Plateau(theil_sen(later_x, later_y), upper, int(later_x.size), lower)


def trend_check(question: TrendInput, alpha: float) -> Check:
    """Fail on a significant rise above the limit whose later half is still rising faster than the
    limit, shown by the lower confidence bound of its slope.

    A rise whose later half is shown flat (a bound on its slope under the limit) is a plateau,
    a pass with the level reached; one that only looks flat, or is not significant, is
    inconclusive, never a pass.
    """
    q = question
    found = trend(q.x, q.y)
    detail = f"{q.rate(found.slope)} (limit {q.rate(q.limit)}) {q.over}, trend {human.p_value(found.p_value)}"
    if found.slope <= q.limit:
        return Check(q.name, Status.PASS, found.slope, q.limit, q.unit, q.span, detail)
    status, why = _judge_rise(q, found, later_half(q.x, q.y, alpha), alpha)
    return Check(q.name, status, found.slope, q.limit, q.unit, q.span, f"{detail}; {why}")


def _judge_rise(q: TrendInput, found: Trend, later: Plateau, alpha: float) -> tuple[Status, str]:
    """A rise above the limit: a plateau, a leak, or not shown either way."""
    confidence = f"at {1 - alpha:.0%} confidence over its {later.windows} windows"
    at_most = f"later half {q.rate(later.slope)}, at most {q.rate(later.upper_bound)} {confidence}"
    at_least = f"later half {q.rate(later.slope)}, at least {q.rate(later.lower_bound)} {confidence}"
    if later.shown(q.limit):
        return Status.PASS, f"plateau: {at_most}, level {human.amount(q.y[-1], q.unit.partition('/')[0])}"
    if not (found.increasing and found.p_value < alpha):
        return Status.INCONCLUSIVE, f"the rise is not significant at {alpha:g}"
    if later.lower_bound > q.limit:
        small = _within_scatter(q, found.slope)
        if small:
            return Status.INCONCLUSIVE, f"still rising ({at_least}), but {small}"
        return Status.FAIL, f"still rising faster than the limit: {at_least}"
    # A rise early in the span that slows down (a runtime warming up: compiled code, its own
    # caches; a cache filling) leaves a later half whose slope may still read above the limit,
    # or below it, without either being shown.
    why = f"fewer than {PLATEAU_MIN_WINDOWS} windows" if later.windows < PLATEAU_MIN_WINDOWS else "its bounds"
    bounds = f"{q.rate(later.lower_bound)} to {q.rate(later.upper_bound)} at {1 - 2 * alpha:.0%} confidence"
    return (
        Status.INCONCLUSIVE,
        f"neither still rising faster than the limit nor a plateau is shown ({why}): "
        f"later half {q.rate(later.slope)}, {bounds} over its {later.windows} windows",
    )


def _within_scatter(q: TrendInput, slope: float) -> str:
    """Why the fitted rise over the span is too small to tell from the level's wander ("" if not)."""
    residuals = q.y - (theil_sen_intercept(q.x, q.y, slope) + slope * q.x)
    scatter = 1.4826 * float(np.median(np.abs(residuals - np.median(residuals))))
    rise = slope * float(q.x[-1] - q.x[0])
    if rise >= MIN_RISE_OVER_SCATTER * scatter:
        return ""
    unit = q.unit.partition("/")[0]
    return (
        f"its rise over the span, {human.amount(rise, unit)}, is under {MIN_RISE_OVER_SCATTER:g} times the windows' "
        f"own scatter around it ({human.amount(scatter, unit)}): not yet told from how the level wanders; "
        "a longer span tells"
    )


def _widened(window_s: float, asked_s: float) -> str:
    return (
        ""
        if window_s == asked_s
        else f" (windows of {human.duration(window_s)}, not {human.duration(asked_s)}: "
        f"a trend test takes at most {MAX_TREND_WINDOWS})"
    )


def with_guides(
    check: Check,
    t_s: NDArray[np.float64],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    judged: str = "window medians",
) -> Check:
    """The windows' levels judged, the Theil-Sen line through them, and the line growing at the
    limit from the fit's start: x is time or updates handled, drawn at the windows' times."""
    guides = [line(GuideRole.JUDGED, judged, t_s, y)]
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
    floors: bool = False  # judge each window's lowest sample, not its median (memory after GC)

    def windows(self, curve: Curve, span: Span, window_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return (window_floors if self.floors else window_medians)(curve, span, window_s)

    @property
    def label(self) -> str:
        return "windows (their floors)" if self.floors else "windows"

    @property
    def judged(self) -> str:
        return "window floors" if self.floors else "window medians"


def slope_per_hour(
    name: str, curve: Curve, span: Span, limit_per_s: float, settings: TrendSettings, *, unit: str = BYTES
) -> Check:
    """Slope of window medians (or floors) against time, limit in units per second, shown per hour."""
    window_s = trend_window_s(span, settings.window_s)
    t_s, medians = settings.windows(curve, span, window_s)
    if t_s.size < settings.min_windows:
        return too_little(name, limit_per_s, f"{unit}/s", span, have=t_s.size, need=settings.min_windows)

    def rate(slope: float) -> str:
        return human.per_hour(slope, unit)

    over = f"over {t_s.size} {settings.label}{_widened(window_s, settings.window_s)}"
    question = TrendInput(name, t_s, medians, limit_per_s, f"{unit}/s", span, rate, over)
    return with_guides(trend_check(question, settings.alpha), t_s, t_s, medians, settings.judged)


def slope_per_request(
    name: str,
    curve: Curve,
    requests: Curve | None,
    span: Span,
    *,
    limit: float,
    settings: TrendSettings,
    per: str = "request",
    unit: str = BYTES,
) -> Check:
    """Slope of window medians (or floors) against the requests handled by then: independent of load level."""
    check_unit = f"{unit}/req"
    if requests is None or len(requests.t_s) < 2:
        return Check(name, Status.INCONCLUSIVE, None, limit, check_unit, span, "no request counter recorded")
    window_s = trend_window_s(span, settings.window_s)
    t_s, medians = settings.windows(curve, span, window_s)
    if t_s.size < settings.min_windows:
        return too_little(name, limit, check_unit, span, have=t_s.size, need=settings.min_windows)
    handled = value_at(requests, t_s)
    if np.ptp(handled) == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, check_unit, span, "no requests handled")

    def rate(slope: float) -> str:
        return human.rate(slope, unit, per)

    over = f"over {int(np.ptp(handled))} of them in {t_s.size} {settings.label}{_widened(window_s, settings.window_s)}"
    check = trend_check(TrendInput(name, handled, medians, limit, check_unit, span, rate, over), settings.alpha)
    return with_guides(check, t_s, handled, medians, settings.judged)
