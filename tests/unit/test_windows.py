"""Curves as arrays, window medians and chart decimation in one vectorised pass: the same figures,
to the last bit, as the per-window loops they replaced (kept here as the reference)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis.model import Curve, Span
from harness.analysis.windows import rise_over, window_medians, within
from harness.report.svg import decimate


def reference_window_medians(curve: Curve, span: Span, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The loop with a boolean mask per window that window_medians replaced."""
    t_s, values = np.asarray(curve.t_s), np.asarray(curve.values)
    keep = (t_s >= span.start_s) & (t_s <= span.end_s)
    t_s, values = t_s[keep], values[keep]
    if t_s.size == 0:
        return np.empty(0), np.empty(0)
    index = np.floor((t_s - span.start_s) / window_s).astype(int)
    centres, medians = [], []
    for window in np.unique(index):
        members = index == window
        centres.append(float(np.median(t_s[members])))
        medians.append(float(np.median(values[members])))
    return np.asarray(centres), np.asarray(medians)


def reference_decimate(t_s: list[float], values: list[float], columns: int) -> tuple[list[float], list[float]]:
    """The per-sample loop that decimate replaced."""
    if len(t_s) <= 2 * columns:
        return list(t_s), list(values)
    t_low, span_s = t_s[0], (t_s[-1] - t_s[0]) or 1.0
    lowest: dict[int, int] = {}
    highest: dict[int, int] = {}
    for index, (t, v) in enumerate(zip(t_s, values, strict=True)):
        column = min(columns - 1, int((t - t_low) / span_s * columns))
        if column not in lowest or v < values[lowest[column]]:
            lowest[column] = index
        if column not in highest or v > values[highest[column]]:
            highest[column] = index
    kept = sorted(set(lowest.values()) | set(highest.values()))
    return [t_s[i] for i in kept], [values[i] for i in kept]


def ragged_curve(rng: np.random.Generator, count: int) -> Curve:
    """Irregular ticks with gaps, a GC-like sawtooth, noise and repeated values (ties)."""
    gaps = rng.choice([0.5, 1.0, 1.0, 1.003, 7.0, 60.0], size=count)
    t_s = 3.0 + np.cumsum(gaps)
    values = np.round(1e6 + 5e4 * ((t_s / 37) % 1) + rng.normal(0, 3e3, count), -3)
    return Curve(t_s, values)


@pytest.mark.parametrize("seed", range(12))
def test_window_medians_match_the_per_window_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    curve = ragged_curve(rng, int(rng.integers(1, 4000)))
    window_s = float(rng.choice([1.0, 3.0, 5.0, 60.0, 61.7]))
    start_s = float(rng.uniform(curve.t_s[0] - 100, curve.t_s[-1]))
    span = Span(start_s, start_s + float(rng.uniform(0, curve.t_s[-1] - curve.t_s[0] + 200)))
    centres, medians = window_medians(curve, span, window_s)
    expected_centres, expected_medians = reference_window_medians(curve, span, window_s)
    assert np.array_equal(centres, expected_centres) and np.array_equal(medians, expected_medians)


def test_window_medians_of_an_empty_span_and_of_single_sample_windows() -> None:
    curve = Curve((0.0, 1.0, 2.0, 3.0), (5.0, 1.0, 9.0, 4.0))
    assert window_medians(curve, Span(10.0, 20.0), 1.0)[0].size == 0
    centres, medians = window_medians(curve, Span(0.0, 3.0), 2.0)
    assert centres.tolist() == [0.5, 2.5] and medians.tolist() == [3.0, 6.5]


@pytest.mark.parametrize("seed", range(12))
def test_decimate_keeps_the_samples_the_per_sample_loop_kept(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    curve = ragged_curve(rng, int(rng.integers(1, 30_000)))
    columns = int(rng.choice([1, 7, 630]))
    kept_t, kept_v = decimate(curve.t_s, curve.values, columns)
    expected_t, expected_v = reference_decimate(curve.t_s.tolist(), curve.values.tolist(), columns)
    assert kept_t.tolist() == expected_t and kept_v.tolist() == expected_v


def test_a_curve_is_read_only_in_time_order_and_refuses_mismatched_lengths() -> None:
    curve = Curve([3.0, 1.0, 2.0, 2.0], [30.0, 10.0, 20.0, 21.0])
    assert curve.t_s.tolist() == [1.0, 2.0, 2.0, 3.0] and curve.values.tolist() == [10.0, 20.0, 21.0, 30.0]
    with pytest.raises(ValueError, match="read-only"):
        curve.values[0] = 1.0
    owned = np.arange(5.0)
    shared = Curve(owned, owned * 2)
    assert np.shares_memory(shared.t_s, owned)  # arrays are taken as they are, not copied
    with pytest.raises(ValueError, match="as many times as values"):
        Curve((1.0, 2.0), (1.0,))


def test_within_is_inclusive_at_both_ends_and_rise_over_interpolates() -> None:
    curve = Curve((0.0, 10.0, 20.0, 30.0), (0.0, 100.0, 200.0, 300.0))
    t_s, values = within(curve, Span(10.0, 20.0))
    assert t_s.tolist() == [10.0, 20.0] and values.tolist() == [100.0, 200.0]
    assert rise_over(curve, Span(5.0, 25.0)) == pytest.approx(200.0)


def test_trend_tests_widen_their_windows_past_the_cap_and_still_see_a_leak() -> None:
    from harness.analysis.model import Status
    from harness.analysis.trend_checks import TrendSettings, slope_per_hour
    from harness.analysis.windows import MAX_TREND_WINDOWS, trend_window_s

    day, week = Span(0.0, 86_400.0), Span(0.0, 7 * 86_400.0)
    assert trend_window_s(day, 60.0) == 60.0  # a day of 1-minute windows keeps them
    assert trend_window_s(week, 60.0) == 360.0  # 10,080 windows: 6-minute windows, 1,680 of them
    t_s = np.arange(0.0, week.end_s, 10.0)
    rng = np.random.default_rng(5)
    leaking = Curve(t_s, 1e8 + t_s * (4 * 2**20 / 3600) + rng.normal(0, 2**20, t_s.size))  # 4 MiB/h
    check = slope_per_hour("rss_slope", leaking, week, 2 * 2**20 / 3600, TrendSettings(60.0, 30, 0.05))
    assert check.status is Status.FAIL and check.figure == pytest.approx(4 * 2**20 / 3600, rel=0.02)
    assert f"at most {MAX_TREND_WINDOWS}" in check.detail and "over 1680 windows" in check.detail
