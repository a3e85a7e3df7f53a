"""Cutting curves to a span and summarising them per fixed window (medians resist GC sawtooth).

Curves are in time order, so a span is a slice (no copy) and a window a run of consecutive
samples: a day at 1 Hz is summarised with one sort, not one pass per window.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Curve, Span

FloatArray = NDArray[np.float64]

# Theil-Sen and Mann-Kendall cost n^2 in time and memory in the number of windows: a week of
# 1-minute windows (10,080) took 26 s and 3 GiB. Past this many, a trend test widens its windows.
MAX_TREND_WINDOWS = 2_000


def within(curve: Curve, span: Span) -> tuple[FloatArray, FloatArray]:
    """The samples from span.start_s to span.end_s inclusive (read-only views)."""
    start = int(np.searchsorted(curve.t_s, span.start_s, side="left"))
    end = int(np.searchsorted(curve.t_s, span.end_s, side="right"))
    return curve.t_s[start:end], curve.values[start:end]


def _segment_medians(sorted_values: FloatArray, starts: NDArray[np.intp], counts: NDArray[np.intp]) -> FloatArray:
    """Median of each run of sorted_values (each run sorted), as np.median computes it."""
    upper = sorted_values[starts + counts // 2]
    lower = sorted_values[starts + (counts - 1) // 2]
    medians: FloatArray = np.where(counts % 2 == 1, upper, (lower + upper) / 2)
    return medians


def window_medians(curve: Curve, span: Span, window_s: float) -> tuple[FloatArray, FloatArray]:
    """Per window of window_s: the window's centre time and the median of its samples."""
    return _per_window(curve, span, window_s, floor=False)


def window_floors(curve: Curve, span: Span, window_s: float) -> tuple[FloatArray, FloatArray]:
    """Per window of window_s: the window's centre time and its lowest sample. For memory read
    after a forced GC: what the process keeps plus whatever work was in flight at that moment
    (a burst after a probe's pause, a slow request), which only ever adds, so the floor is the
    kept part."""
    return _per_window(curve, span, window_s, floor=True)


def held_through(curve: Curve, span: Span, window_s: float) -> tuple[FloatArray, FloatArray]:
    """For each reading whose successors reach window_s later: its time and the lowest reading
    from it to the first at least window_s later, the level every reading showed for that long.
    Windows cut at fixed times would call a lone reading "held" when the probe skipped the rest of
    its window (a TCP probe over budget on an overloaded machine)."""
    t_s, values = within(curve, span)
    ends = np.searchsorted(t_s, t_s + window_s, side="left")
    starts = np.flatnonzero(ends < t_s.size)
    if starts.size == 0:
        return np.empty(0), np.empty(0)
    return t_s[starts], _range_minima(values, starts, ends[starts])


def _range_minima(values: FloatArray, starts: NDArray[np.intp], ends: NDArray[np.intp]) -> FloatArray:
    """min(values[start : end + 1]) for each pair, by a sparse table (n log n, vectorised)."""
    tables = [values]
    while 2 * (width := 1 << (len(tables) - 1)) <= values.size:
        tables.append(np.minimum(tables[-1][:-width], tables[-1][width:]))
    levels = np.floor(np.log2(ends - starts + 1)).astype(np.intp)
    minima = np.empty(starts.size)
    for level in np.unique(levels):
        pick = levels == level
        table = tables[level]
        minima[pick] = np.minimum(table[starts[pick]], table[ends[pick] - (1 << level) + 1])
    return minima


def _per_window(curve: Curve, span: Span, window_s: float, *, floor: bool) -> tuple[FloatArray, FloatArray]:
    t_s, values = within(curve, span)
    if t_s.size == 0:
        return np.empty(0), np.empty(0)
    index = np.floor((t_s - span.start_s) / window_s).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    counts = np.diff(np.r_[starts, index.size])
    # Sorting by (window, value) orders each window's values in place of its samples.
    by_value = values[np.lexsort((values, index))]
    levels = by_value[starts] if floor else _segment_medians(by_value, starts, counts)
    return _segment_medians(t_s, starts, counts), levels


def trend_window_s(span: Span, window_s: float) -> float:
    """The window a trend test summarises by: window_s, or the smallest whole multiple of it that
    cuts the span into at most MAX_TREND_WINDOWS windows (runs of a day at 1-minute windows keep theirs)."""
    count = (span.end_s - span.start_s) / window_s
    return window_s if count <= MAX_TREND_WINDOWS else window_s * math.ceil(count / MAX_TREND_WINDOWS)


def value_at(curve: Curve, t_s: FloatArray) -> FloatArray:
    """Curve interpolated at the given times (for aligning a counter with another metric)."""
    return np.asarray(np.interp(t_s, curve.t_s, curve.values), dtype=np.float64)


def rise_over(curve: Curve, span: Span) -> float:
    """How much a counter rose between the span's ends (interpolated; clamped to the recorded ends)."""
    ends = value_at(curve, np.asarray([span.start_s, span.end_s], dtype=np.float64))
    return float(ends[1] - ends[0])
