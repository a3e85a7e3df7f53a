"""Pure parts of the mocks: latency histogram, fault table, latency draws, config checks."""

from __future__ import annotations

import random
import statistics
import time

import pytest
from pydantic import ValidationError

from mocks.common.faults import FaultTable, draw_latency_s, in_window
from mocks.common.stats import LatencyHistogram, RouteStats
from mocks.config import FaultSpec, LatencySpec, MocksConfig


def test_latency_histogram_quantiles_and_bounded_size() -> None:
    histogram = LatencyHistogram()
    for _ in range(98):
        histogram.add(0.8)
    histogram.add(40.0)
    histogram.add(70_000.0)
    assert histogram.quantile_ms(0.5) == 1.0 and histogram.quantile_ms(0.99) == 50.0
    assert histogram.quantile_ms(1.0) is None  # past the last bound
    assert len(histogram.counts) == 17
    assert histogram.snapshot()["buckets_ms"] == {"le_1": 98, "le_50": 1, "inf": 1}


def test_route_stats_memory_does_not_grow_with_requests() -> None:
    stats = RouteStats()
    for n in range(10_000):
        stats.record("sendMessage", 200 if n % 10 else 500, 0.001)
    snapshot = stats.snapshot()
    assert snapshot["requests_total"] == 10_000 and snapshot["routes"]["sendMessage"] == {"200": 9000, "500": 1000}
    assert len(stats.by_route_status) == 2 and len(stats.latency) == 1


def test_fault_table_matches_route_window_and_rate() -> None:
    table = FaultTable(
        profile=(
            FaultSpec(route="sendMessage", kind="error", start=10, end=20),
            FaultSpec(route="*", kind="latency", rate=0.0),
        ),
        t0_monotonic=time.monotonic() - 100.0,
        rng=random.Random(1),
    )
    assert table.active("sendMessage") == []  # 100 s into the run: past the window
    table.runtime = (FaultSpec(route="getFile", kind="hang"),)
    assert [f.kind for f in table.active("getFile")] == ["hang"] and table.active("sendMessage") == []
    spec = FaultSpec(kind="error", start=10, end=20)
    assert [in_window(spec, t) for t in (9.9, 10.0, 19.9, 20.0)] == [False, True, True, False]


def test_latency_draws() -> None:
    rng = random.Random(7)
    assert draw_latency_s(LatencySpec(fixed="250 ms"), rng) == 0.25
    uniform = [draw_latency_s(LatencySpec(kind="uniform", low=1, high=2), rng) for _ in range(500)]
    assert min(uniform) >= 1 and max(uniform) <= 2
    spec = LatencySpec(kind="lognormal", median="40 s", sigma=1.0, cap="15 min")
    draws = [draw_latency_s(spec, rng) for _ in range(4000)]
    assert 35 < statistics.median(draws) < 45 and max(draws) <= 900


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValidationError):
        FaultSpec(kind="error", start=20, end=10)
    with pytest.raises(ValidationError):
        FaultSpec(kind="error", rate=1.5)
    with pytest.raises(ValidationError):
        LatencySpec(kind="uniform", low=2, high=1)
    with pytest.raises(ValidationError):
        MocksConfig.model_validate({"telegram": {"unknown": 1}})
