"""Work ratios window by window: counts of calls against updates sent, each window tagged with the
fault window it touches, so a fault stands apart from the steady state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis.flows import Accounting, latency_quantile_s
from harness.analysis.model import Check, Curve, FaultWindow, Span
from harness.analysis.windows import rise_over
from shared import human


@dataclass(frozen=True)
class WindowRatio:
    span: Span
    count: float
    updates: float
    fault: FaultWindow | None  # the fault window this one touches, if any

    @property
    def ratio(self) -> float:
        return self.count / self.updates


def work_windows(span: Span, window_s: float) -> list[Span]:
    """Consecutive windows of window_s from the span's start; a last one shorter than half is dropped."""
    windows = []
    start_s = span.start_s
    while start_s < span.end_s:
        end_s = min(span.end_s, start_s + window_s)
        if end_s - start_s >= window_s / 2:
            windows.append(Span(start_s, end_s))
        start_s = end_s
    return windows


def touching(window: Span, faults: Sequence[FaultWindow], grace_s: float) -> FaultWindow | None:
    """The first fault window overlapping this one; a fault's effects outlast it by grace_s."""
    for fault in faults:
        if window.start_s < fault.span.end_s + grace_s and fault.span.start_s < window.end_s:
            return fault
    return None


def counted(curves: Sequence[Curve], window: Span) -> float:
    return sum(rise_over(curve, window) for curve in curves)


def window_ratios(
    curves: Sequence[Curve],
    updates: Curve,
    windows: Sequence[Span],
    faults: Sequence[FaultWindow],
    *,
    min_updates: float,
) -> list[WindowRatio]:
    """Calls per update in each window with at least min_updates updates sent (fewer say nothing)."""
    ratios = []
    for window in windows:
        sent = rise_over(updates, window)
        if sent < min_updates:
            continue
        grace_s = window.end_s - window.start_s
        ratios.append(WindowRatio(window, counted(curves, window), sent, touching(window, faults, grace_s)))
    return ratios


def behind_s(window: Span, accounting: Accounting | None) -> float | None:
    """How far behind the service was in this window, when more than the window's length: the median
    end-to-end time of the updates sent in it and in the one before. Calls then land windows after
    their updates, so a window's calls are not its updates' (a backlog draining counts double)."""
    if accounting is None:
        return None
    length_s = window.end_s - window.start_s
    since_s = window.start_s - length_s
    counts = [w.latency_counts for w in accounting.windows
              if w.flow != "callback" and w.span.start_s < window.end_s and w.span.end_s > since_s]  # fmt: skip
    if not counts:
        return None
    p50_s = latency_quantile_s(tuple(map(sum, zip(*counts, strict=True))), 0.5)
    return p50_s if p50_s is not None and p50_s > length_s else None


def worst(ratios: Sequence[WindowRatio]) -> WindowRatio | None:
    return max(ratios, key=lambda r: r.ratio, default=None)


def where(ratio: WindowRatio) -> str:
    """The window in words, with the fault it falls in."""
    span = f"{human.span(ratio.span.start_s, ratio.span.end_s)}"
    return f"{span} (fault window {ratio.fault.label})" if ratio.fault else span


def checks_moved(fault: FaultWindow, checks: Sequence[Check]) -> list[str]:
    """Checks whose figure was reached in a window touching this fault (its effects outlast it by
    that window's length): what a reader looks at first when a fault was injected."""
    moved = []
    for check in checks:
        peak = check.peak_span
        if peak is not None and touching(peak, (fault,), peak.end_s - peak.start_s) is not None:
            moved.append(check.name)
    return moved
