"""Cutting curves to a span and summarising them per fixed window (medians resist GC sawtooth)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Curve, Span


def within(curve: Curve, span: Span) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    t_s = np.asarray(curve.t_s, dtype=float)
    values = np.asarray(curve.values, dtype=float)
    keep = (t_s >= span.start_s) & (t_s <= span.end_s)
    return t_s[keep], values[keep]


def window_medians(curve: Curve, span: Span, window_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per window of window_s: the window's centre time and the median of its samples."""
    return _per_window(curve, span, window_s, floor=False)


def window_floors(curve: Curve, span: Span, window_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per window of window_s: the window's centre time and its lowest sample. For memory read
    after a forced GC: what the process keeps plus whatever work was in flight at that moment
    (a burst after a probe's pause, a slow request), which only ever adds, so the floor is the
    kept part."""
    return _per_window(curve, span, window_s, floor=True)


def _per_window(
    curve: Curve, span: Span, window_s: float, *, floor: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    t_s, values = within(curve, span)
    if t_s.size == 0:
        return np.empty(0), np.empty(0)
    index = np.floor((t_s - span.start_s) / window_s).astype(int)
    centres, levels = [], []
    for window in np.unique(index):
        members = index == window
        centres.append(float(np.median(t_s[members])))
        levels.append(float(np.min(values[members]) if floor else np.median(values[members])))
    return np.asarray(centres), np.asarray(levels)


def value_at(curve: Curve, t_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Curve interpolated at the given times (for aligning a counter with another metric)."""
    known_t_s = np.asarray(curve.t_s, dtype=float)
    return np.asarray(np.interp(t_s, known_t_s, np.asarray(curve.values, dtype=float)), dtype=float)


def rise_over(curve: Curve, span: Span) -> float:
    """How much a counter rose between the span's ends (interpolated; clamped to the recorded ends)."""
    ends = value_at(curve, np.asarray([span.start_s, span.end_s], dtype=float))
    return float(ends[1] - ends[0])
