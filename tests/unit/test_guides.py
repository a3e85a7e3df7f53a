"""The lines a check hands to its chart: the values it judged, the fit, and the limit's line, in
the metric's own units, so the report draws what was judged without computing anything."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis.level_checks import growth, peak, residual
from harness.analysis.model import Check, Curve, GuideRole, Span, Status
from harness.analysis.trend_checks import TrendSettings, slope_per_hour, slope_per_request
from harness.analysis.verdict import judge
from harness.config import Thresholds
from tests.unit.test_amplification import FAULT, _calls, _run

T_S = tuple(float(t) for t in range(600))
SETTINGS = TrendSettings(window_s=30.0, min_windows=5, alpha=0.05)


def _guide(check: Check, role: GuideRole) -> tuple[np.ndarray, np.ndarray]:
    found = [g for g in check.guides if g.role is role]
    assert len(found) == 1, [g.role for g in check.guides]
    return np.asarray(found[0].t_s), np.asarray(found[0].values)


def test_a_slope_carries_its_windows_its_fit_and_the_line_growing_at_the_limit() -> None:
    rss = Curve(T_S, tuple(1e8 + 2000.0 * t + (t % 3) * 5e4 for t in T_S))  # 2000 B/s and a sawtooth
    check = slope_per_hour("rss_slope", rss, Span(0.0, 599.0), 500.0, SETTINGS)
    assert check.status is Status.FAIL and check.figure == pytest.approx(2000.0, rel=0.01)
    judged_t, medians = _guide(check, GuideRole.JUDGED)
    fit_t, fit = _guide(check, GuideRole.FIT)
    limit_t, allowed = _guide(check, GuideRole.LIMIT)
    assert judged_t.size == 20 and np.array_equal(fit_t, judged_t) and np.array_equal(limit_t, judged_t)
    assert np.allclose(np.diff(fit) / np.diff(fit_t), check.figure)  # the Theil-Sen line itself
    assert np.max(np.abs(fit - medians)) < 1e5  # through the medians, not off by an intercept
    assert allowed[0] == fit[0] and np.allclose(np.diff(allowed) / np.diff(limit_t), 500.0)


def test_a_slope_per_update_is_drawn_on_the_run_clock() -> None:
    updates = Curve(T_S, tuple(t * t / 100 for t in T_S))  # the load speeds up
    rss = Curve(T_S, tuple(1e8 + 4096.0 * t * t / 100 for t in T_S))  # 4 KiB per update
    check = slope_per_request("rss_per_request", rss, updates, Span(0.0, 599.0), limit=1024.0, settings=SETTINGS)
    fit_t, fit = _guide(check, GuideRole.FIT)
    expected = 1e8 + 4096.0 * np.interp(fit_t, updates.t_s, updates.values)
    assert check.figure == pytest.approx(4096.0, rel=0.01) and np.allclose(fit, expected, rtol=1e-3)


def test_levels_carry_the_limit_where_the_figure_would_cross_it() -> None:
    fds = Curve(T_S, tuple(50.0 + (t > 300) * 30 for t in T_S))
    grown = growth("fds_growth", fds, Span(0.0, 599.0), 16.0, window_s=30.0, unit="fds")
    assert _guide(grown, GuideRole.LIMIT)[1].tolist() == [66.0, 66.0]
    assert _guide(grown, GuideRole.FIT)[1].tolist() == [50.0, 80.0]
    top = peak("rss_max", fds, Span(0.0, 599.0), 70.0, "B")
    assert top.status is Status.FAIL and _guide(top, GuideRole.LIMIT)[1].tolist() == [70.0, 70.0]
    left = residual("fds_residual", fds, cooldown=Span(500.0, 599.0), baseline=Span(0.0, 100.0), limit=2.0,
                    recovery_s=60.0, unit="fds")  # fmt: skip
    assert _guide(left, GuideRole.LIMIT)[1].tolist() == [52.0, 52.0]
    assert [g.label for g in left.guides if g.role is GuideRole.FIT] == ["level after cool-down", "level before load"]


def test_calls_per_update_carry_each_window_and_a_limit_raised_in_fault_windows() -> None:
    limits = Thresholds.model_validate({"warmup": "10 s", "work_window": "10 s",
                                        "upstream_calls_per_update_max": {"telegram": 2.5}})  # fmt: skip
    check = next(c for c in judge(_run(_calls(2.0, 4.0), _calls(1.0)), limits).checks if c.name.endswith("telegram"))
    ratio_t, ratios = _guide(check, GuideRole.JUDGED)
    _, bounds = _guide(check, GuideRole.LIMIT)
    inside = (ratio_t >= FAULT.span.start_s) & (ratio_t <= FAULT.span.end_s)
    assert set(bounds[~inside].tolist()) <= {2.5, 2.5 * limits.fault_calls_factor}
    assert bounds[inside].max() == 2.5 * limits.fault_calls_factor and ratios.max() == pytest.approx(4.0)
