"""Trend checks: growth over time or per request, robust to the GC sawtooth, aware of plateaus.

A plateau (a cache or pool at its size) must be shown, not assumed: the later half of the span
needs PLATEAU_MIN_WINDOWS windows and an upper confidence bound of its slope under the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.analysis.level_checks import amount
from harness.analysis.model import Check, Curve, Span, Status
from harness.analysis.trend import slope_upper_bound, trend
from harness.analysis.windows import value_at, window_floors, window_medians

PLATEAU_MIN_WINDOWS = 6
BYTES = "B"


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
    """The later half of a span: its slope, the bound on it, how many windows it has, and whether
    its own rise is significant."""

    slope: float
    upper_bound: float
    windows: int
    rising: bool = False
    p_value: float = 1.0

    def shown(self, limit: float) -> bool:
        return self.windows >= PLATEAU_MIN_WINDOWS and self.upper_bound <= limit


def later_half(x: NDArray[np.float64], y: NDArray[np.float64], alpha: float) -> Plateau:
    half = x.size // 2
    later_x, later_y = x[half:], y[half:]
    found = trend(later_x, later_y)
    rising = found.increasing and found.p_value < alpha
    return Plateau(found.slope, slope_upper_bound(later_x, later_y, alpha), int(later_x.size), rising, found.p_value)


def trend_check(question: TrendInput, alpha: float) -> Check:
    """Fail on a significant rise above the limit that is still rising, significantly, in the later half.

    A rise whose later half is shown flat (a bound on its slope under the limit) is a plateau,
    a pass with the level reached; one that only looks flat, or is not significant, is
    inconclusive, never a pass.
    """
    q = question
    found = trend(q.x, q.y)
    detail = f"{q.rate(found.slope)} (limit {q.rate(q.limit)}) {q.over}, trend p={found.p_value:.3g}"
    if found.slope <= q.limit:
        return Check(q.name, Status.PASS, found.slope, q.limit, q.unit, q.span, detail)
    later = later_half(q.x, q.y, alpha)
    evidence = (
        f"later half {q.rate(later.slope)}, at most {q.rate(later.upper_bound)} "
        f"at {1 - alpha:.0%} confidence over its {later.windows} windows"
    )
    if later.shown(q.limit):
        status, detail = Status.PASS, f"{detail}; plateau: {evidence}, level {q.y[-1]:.4g}"
    elif not (found.increasing and found.p_value < alpha):
        status, detail = Status.INCONCLUSIVE, f"{detail}; the rise is not significant at {alpha:g}"
    elif later.slope <= q.limit:
        status = Status.INCONCLUSIVE
        why = f"fewer than {PLATEAU_MIN_WINDOWS} windows" if later.windows < PLATEAU_MIN_WINDOWS else "the bound"
        detail = f"{detail}; a plateau is not shown ({why}): {evidence}"
    elif not later.rising:
        # A rise early in the span (a runtime warming up: code, caches of its own) leaves a later
        # half whose slope, on few noisy windows, may read above the limit by chance.
        status = Status.INCONCLUSIVE
        detail = f"{detail}; still rising is not shown (later half p={later.p_value:.2g}): {evidence}"
    else:
        status, detail = Status.FAIL, f"{detail}; still rising (later half p={later.p_value:.2g}): {evidence}"
    return Check(q.name, status, found.slope, q.limit, q.unit, q.span, detail)


@dataclass(frozen=True)
class TrendSettings:
    window_s: float
    min_windows: int
    alpha: float
    floors: bool = False  # judge each window's lowest sample, not its median (memory after GC)

    def windows(self, curve: Curve, span: Span) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return (window_floors if self.floors else window_medians)(curve, span, self.window_s)

    @property
    def label(self) -> str:
        return "windows (their floors)" if self.floors else "windows"


def _per_hour(slope_per_s: float, unit: str) -> str:
    if unit == BYTES:
        return f"{slope_per_s * 3600 / 2**20:.2f} MiB/h"
    return f"{slope_per_s * 3600:.3g} {unit}/h"


def slope_per_hour(
    name: str, curve: Curve, span: Span, limit_per_s: float, settings: TrendSettings, *, unit: str = BYTES
) -> Check:
    """Slope of window medians (or floors) against time, limit in units per second, shown per hour."""
    t_s, medians = settings.windows(curve, span)
    if t_s.size < settings.min_windows:
        return too_little(name, limit_per_s, f"{unit}/s", span, have=t_s.size, need=settings.min_windows)

    def rate(slope: float) -> str:
        return _per_hour(slope, unit)

    over = f"over {t_s.size} {settings.label}"
    question = TrendInput(name, t_s, medians, limit_per_s, f"{unit}/s", span, rate, over)
    return trend_check(question, settings.alpha)


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
    t_s, medians = settings.windows(curve, span)
    if t_s.size < settings.min_windows:
        return too_little(name, limit, check_unit, span, have=t_s.size, need=settings.min_windows)
    handled = value_at(requests, t_s)
    if np.ptp(handled) == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, check_unit, span, "no requests handled")

    def rate(slope: float) -> str:
        return f"{amount(slope, unit)} per {per}"

    over = f"over {int(np.ptp(handled))} of them in {t_s.size} {settings.label}"
    return trend_check(TrendInput(name, handled, medians, limit, check_unit, span, rate, over), settings.alpha)
