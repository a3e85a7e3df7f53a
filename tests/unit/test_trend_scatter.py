"""A rise within a few times the level's own scatter around its trend is not called a leak: a clean
runtime's heap wanders by ~100 KiB over minutes, and a wander that leans one way for a while passes
the significance tests. A leak's rise stands out of it."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis import trend_checks
from harness.analysis.model import Span, Status
from harness.analysis.trend_checks import TrendInput, trend_check
from shared import human

LIMIT_B_PER_S = 2 * 2**20 / 3600  # soak.toml's heap_slope_max, 2 MiB/h
# The clean reference bot's heap after GC, floors of 10 s windows over minutes 1-6 of load
# (detection matrix, clean-06): 0.28 MiB up over 5 minutes, back down by minute 7.
CLEAN_06_T_S = np.array([0, 10, 20, 30, 40.5, 50, 60, 70, 80, 90, 101, 110, 120, 130, 140, 150, 161, 170, 180,
                         190, 200, 210, 221, 230, 240, 250, 260, 270, 282.5, 290])  # fmt: skip
CLEAN_06_FLOORS_B = np.array([13426080, 13406424, 13547752, 13619384, 13474304, 13670304, 13539848, 13645704,
                              13704456, 13765736, 13543856, 13635512, 13556096, 13733328, 13681864, 13636344,
                              13513880, 13586992, 13732448, 13792848, 13616136, 13646504, 13583416, 13780536,
                              13716584, 13665360, 13726304, 13878136, 14032568, 13750904], dtype=float)  # fmt: skip


def _question(y: np.ndarray) -> TrendInput:
    rate = lambda slope: human.per_hour(slope, "B")  # noqa: E731
    return TrendInput("heap_slope", CLEAN_06_T_S, y, LIMIT_B_PER_S, "B/s", Span(60.0, 360.0), rate, "over 30 windows")


def test_a_clean_heap_s_wander_is_inconclusive_not_a_leak() -> None:
    check = trend_check(_question(CLEAN_06_FLOORS_B), 0.05)
    assert check.status is Status.INCONCLUSIVE, check.detail
    assert "scatter" in check.detail and "a longer span tells" in check.detail


def test_without_the_guard_the_same_wander_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trend_checks, "MIN_RISE_OVER_SCATTER", 0.0)
    assert trend_check(_question(CLEAN_06_FLOORS_B), 0.05).status is Status.FAIL


def test_a_leak_of_64_bytes_per_update_over_the_same_wander_fails() -> None:
    # 64 B/update at 20 updates/s is 4.4 MiB/h: 0.37 MiB more over these 5 minutes.
    leak_b = 64 * 20 * (CLEAN_06_T_S - CLEAN_06_T_S[0])
    check = trend_check(_question(CLEAN_06_FLOORS_B + leak_b), 0.05)
    assert check.status is Status.FAIL, check.detail
