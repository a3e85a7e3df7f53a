"""Level checks on counts and sizes: peak, growth during load, and what is left after cool-down."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.analysis.guides import flat, line
from harness.analysis.model import Check, Curve, FaultWindow, GuideRole, Span, Status, TargetExit
from harness.analysis.trend import slope_upper_bound, trend
from harness.analysis.windows import held_through, trend_window_s, window_medians, within
from shared import human
from vocab.metrics import Metric

ALIVE_METRIC = Metric.ALIVE


def _status(figure: float, limit: float) -> Status:
    return Status.PASS if figure <= limit else Status.FAIL


def peak(name: str, curve: Curve, span: Span, limit: float, unit: str) -> Check:
    _, values = within(curve, span)
    if values.size == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, "no samples in the span")
    top = float(values.max())
    detail = f"peak {human.amount(top, unit)}, limit {human.amount(limit, unit)}"
    guides = (flat(GuideRole.LIMIT, "limit", span, limit),)
    return Check(name, _status(top, limit), top, limit, unit, span, detail, guides=guides)


def sustained(name: str, curve: Curve, span: Span, limit: float, *, window_s: float, unit: str) -> Check:
    """The highest level held through a whole window (its lowest sample): a state a healthy service
    passes through for a moment (a socket its peer closed, until the next turn of a stalled event
    loop closes it too) is not judged, one that stays is."""
    t_s, floors = held_through(curve, span, window_s)
    if t_s.size == 0:
        why = "no samples in the span" if within(curve, span)[0].size == 0 else f"no readings {window_s:g} s apart"
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, why)
    held = float(floors.max())
    _, values = within(curve, span)
    detail = (
        f"{human.amount(held, unit)} held through a window of {human.duration(window_s)} at most (momentary peak "
        f"{human.amount(float(values.max()), unit)}), limit {human.amount(limit, unit)}"
    )
    guides = (line(GuideRole.JUDGED, f"held {window_s:g} s", t_s, floors), flat(GuideRole.LIMIT, "limit", span, limit))
    return Check(name, _status(held, limit), held, limit, unit, span, detail, guides=guides)


def growth(
    name: str,
    curve: Curve,
    span: Span,
    limit: float,
    *,
    window_s: float,
    unit: str,
    alpha: float = 0.05,
    min_windows: int = 2,
) -> Check:
    """How far the level rose over the judged part of the load, from the window medians at its ends.

    A busy service's counts (sockets, handles, listeners of the work in flight) wander with its
    concurrency, and the ends alone move by more than a small limit on a healthy run. So ends
    apart by more than the limit fail only when the rise is a trend too: significant at alpha
    (both tests of trend.py) and, across the span, above the limit. Ends apart with a trend shown
    under the limit pass (the level wanders); anything between is inconclusive. A trend needs
    min_windows windows: over fewer, a burst of work in flight at the end of the span (a stalled
    event loop catching up) reads as a significant rise.
    """
    t_s, medians = window_medians(curve, span, window_s)
    if t_s.size < 2:
        detail = f"{t_s.size} windows in the judged span, 2 needed"
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, span, detail)
    change = float(medians[-1] - medians[0])
    ends = (f"{human.amount(medians[0], unit)} -> {human.amount(medians[-1], unit)} (window medians), "
            f"limit +{human.amount(limit, unit)}")  # fmt: skip
    edges = t_s[[0, -1]]
    guides = (
        line(GuideRole.JUDGED, "window medians", t_s, medians),
        line(GuideRole.FIT, "first -> last window", edges, medians[[0, -1]]),
        line(GuideRole.LIMIT, "limit", edges, [medians[0] + limit] * 2),
    )
    if change <= limit:
        return Check(name, Status.PASS, change, limit, unit, span, ends, guides=guides)
    if t_s.size < min_windows:
        why = f"a trend needs {min_windows} windows, the span has {t_s.size}"
        return Check(name, Status.INCONCLUSIVE, change, limit, unit, span, f"{ends}; {why}", guides=guides)
    status, why = _rise_as_trend(curve, span, limit, window_s=window_s, unit=unit, alpha=alpha)
    return Check(name, status, change, limit, unit, span, f"{ends}; {why}", guides=guides)


def _rise_as_trend(
    curve: Curve, span: Span, limit: float, *, window_s: float, unit: str, alpha: float
) -> tuple[Status, str]:
    """Whether ends apart by more than the limit are a trend rising above it across the span."""
    t_s, medians = window_medians(curve, span, trend_window_s(span, window_s))  # n^2 tests: few windows
    duration_s = float(t_s[-1] - t_s[0])
    found = trend(t_s, medians)
    rise = found.slope * duration_s
    across = (
        f"the trend across its {t_s.size} windows rises {human.amount(rise, unit)} ({human.p_value(found.p_value)})"
    )
    if found.increasing and found.p_value < alpha and rise > limit:
        return Status.FAIL, across
    most = slope_upper_bound(t_s, medians, alpha) * duration_s
    if most <= limit:
        return (
            Status.PASS,
            f"the level wanders: {across}, at most {human.amount(most, unit)} at {1 - alpha:.0%} confidence",
        )
    return Status.INCONCLUSIVE, f"not shown to be a trend above the limit: {across}, at most {human.amount(most, unit)}"


def residual(
    name: str,
    curve: Curve,
    *,
    cooldown: Span | None,
    baseline: Span | None,
    limit: float,
    recovery_s: float,
    unit: str,
) -> Check:
    """What is left at the end of the cool-down, above the pre-load baseline when one is given.

    baseline None means the healthy level is zero (temp files): the residual is the level itself.
    """
    if cooldown is None:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, None, "the run has no cool-down")
    tail = Span(max(cooldown.start_s, cooldown.end_s - recovery_s), cooldown.end_s)
    _, end_values = within(curve, tail)
    if end_values.size == 0:
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, tail, "no samples at the end of the cool-down")
    level = float(np.median(end_values))
    base = 0.0
    if baseline is not None:
        _, base_values = within(curve, baseline)
        if base_values.size == 0:
            return Check(name, Status.INCONCLUSIVE, None, limit, unit, tail, "no samples before the load")
        base = float(np.median(base_values))
    left = level - base
    detail = (f"{human.amount(level, unit)} after cool-down vs {human.amount(base, unit)} before load, "
              f"limit +{human.amount(limit, unit)}")  # fmt: skip
    guides = [flat(GuideRole.FIT, "level after cool-down", tail, level)]
    if baseline is not None:
        guides.append(flat(GuideRole.FIT, "level before load", baseline, base))
    guides.append(flat(GuideRole.LIMIT, "limit", tail, base + limit))
    return Check(name, _status(left, limit), left, limit, unit, tail, detail, guides=tuple(guides))


# An exit this soon after a fault window ends is told beside it: the service may die of the fault's
# aftermath (a reconnect, a backlog of retries), not only inside the window.
FAULT_AFTERMATH_S = 10.0


def _fault_of(death: TargetExit, faults: Sequence[FaultWindow]) -> str:
    for fault in faults:
        if fault.span.start_s <= death.t_s <= fault.span.end_s:
            return f" during fault window {fault.label}"
        if fault.span.end_s < death.t_s <= fault.span.end_s + FAULT_AFTERMATH_S:
            return f", {human.duration(death.t_s - fault.span.end_s)} after fault window {fault.label}"
    return ""


def always_alive(
    curve: Curve | None, span: Span, death: TargetExit | None = None, faults: Sequence[FaultWindow] = ()
) -> Check:
    """The target must run from the start of the load to the end of the cool-down: the first tick
    without it fails, and so does an exit the runner saw (it may fall between two ticks); an exit
    inside (or just after) an injected fault's window names it."""
    t_s, alive = within(curve, span) if curve is not None else (np.empty(0), np.empty(0))
    gone = t_s[alive < 1]
    ticks_gone = int(gone.size)
    seen_exit = death is not None and death.t_s <= span.end_s + 1.0
    if ticks_gone == 0 and not seen_exit:
        if t_s.size == 0:
            return Check("target_alive", Status.INCONCLUSIVE, None, 0.0, "ticks", span, "no samples of the target")
        detail = f"target alive through the run ({t_s.size} ticks, {human.span(span.start_s, span.end_s)})"
        return Check("target_alive", Status.PASS, 0.0, 0.0, "ticks", span, detail, ALIVE_METRIC)
    parts = []
    evidence: tuple[str, ...] = ()
    if death is not None and seen_exit:
        parts.append(f"target exited with {death.cause} at {human.duration(death.t_s)}{_fault_of(death, faults)}")
        if death.log_tail:
            evidence = (f"last {len(death.log_tail)} lines of target.log:", *death.log_tail)
    if ticks_gone:
        parts.append(f"first tick without it at {human.duration(gone[0])} ({ticks_gone} ticks without it)")
    figure = float(max(ticks_gone, 1))
    return Check("target_alive", Status.FAIL, figure, 0.0, "ticks", span, "; ".join(parts), ALIVE_METRIC, evidence)
