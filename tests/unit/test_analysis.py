"""Verdicts on synthetic curves whose truth we know: a leak, a flat line, a sawtooth, a plateau."""

from collections.abc import Sequence

import numpy as np

from harness.analysis.model import Check, Curve, LoadStats, RunData, Span, Status, Verdict
from harness.analysis.verdict import judge
from harness.config import Thresholds

MIB = 2**20


def _curve(values: Sequence[float], start_s: float = 0.0) -> Curve:
    return Curve(tuple(start_s + float(t) for t in range(len(values))), tuple(float(v) for v in values))


def _data(rss: np.ndarray, fds: np.ndarray | None = None, rate_per_s: float = 20.0) -> RunData:
    curves = {
        "target.rss_bytes": _curve(rss),
        "mocks.requests_total": _curve([rate_per_s * t for t in range(len(rss))]),
        "target.alive": _curve([1.0] * len(rss)),
    }
    if fds is not None:
        curves["target.fds"] = _curve(fds)
    return RunData(curves=curves, load=Span(0.0, float(len(rss) - 1)))


LIMITS = Thresholds.model_validate(
    {
        "warmup": "10 s",
        "window": "5 s",
        "rss_slope_max": "50 MiB/h",
        "rss_per_request_max": "4 KiB/req",
        "rss_max": "1 GiB",
        "fds_growth_max": 5,
    }
)


def _check(verdict: Verdict, name: str) -> Check:
    return next(check for check in verdict.checks if check.name == name)


def test_steady_leak_fails_with_its_rate() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(120)
    rss = 80 * MIB + t * 20 * 16 * 1024 + rng.normal(0, 0.3 * MIB, t.size)  # 16 KiB per request
    verdict = judge(_data(rss), LIMITS)
    assert verdict.status is Status.FAIL
    per_request = _check(verdict, "rss_per_request")
    assert per_request.status is Status.FAIL
    assert per_request.figure is not None and 14 * 1024 < per_request.figure < 18 * 1024


def test_flat_noisy_curve_passes() -> None:
    rng = np.random.default_rng(2)
    rss = 80 * MIB + rng.normal(0, 0.5 * MIB, 120)
    verdict = judge(_data(rss, fds=np.full(120, 40.0)), LIMITS)
    assert verdict.status is Status.PASS, verdict.checks


def test_gc_sawtooth_without_growth_passes() -> None:
    t = np.arange(180)
    rss = 80 * MIB + (t % 17) * 1.5 * MIB  # tall teeth, flat floor
    verdict = judge(_data(rss), LIMITS)
    assert _check(verdict, "rss_slope").status is Status.PASS
    assert _check(verdict, "rss_per_request").status is Status.PASS


def test_too_short_run_is_inconclusive_not_pass() -> None:
    verdict = judge(_data(np.full(14, 80.0 * MIB)), LIMITS)
    assert _check(verdict, "rss_slope").status is Status.INCONCLUSIVE
    assert verdict.status is Status.INCONCLUSIVE


def test_fd_growth_fails_past_limit() -> None:
    fds = 40 + np.arange(120) // 10  # +11 over the run
    check = _check(judge(_data(np.full(120, 80.0 * MIB), fds=fds), LIMITS), "fds_growth")
    assert check.status is Status.FAIL
    assert check.figure is not None and check.figure >= 8


def test_target_death_fails() -> None:
    data = _data(np.full(60, 80.0 * MIB))
    curves = dict(data.curves)
    curves["target.alive"] = _curve([1.0 if t < 30 else 0.0 for t in range(60)])
    dead = RunData(curves=curves, load=data.load)
    assert _check(judge(dead, LIMITS), "target_alive").status is Status.FAIL


def test_plateau_is_reported_not_failed() -> None:
    t = np.arange(150)
    rss = 80 * MIB + np.minimum(t, 60) * 0.5 * MIB  # a cache filling for a minute, then full
    check = _check(judge(_data(rss), LIMITS), "rss_slope")
    assert check.status is Status.PASS
    assert "plateau" in check.detail


def test_leak_that_keeps_growing_is_not_a_plateau() -> None:
    rss = 80 * MIB + np.arange(150) * 0.2 * MIB
    check = _check(judge(_data(rss), LIMITS), "rss_slope")
    assert check.status is Status.FAIL and "plateau" not in check.detail


def test_load_errors_and_latency_are_judged() -> None:
    limits = Thresholds.model_validate({"error_ratio_max": 0.01, "latency_p95_max": "250 ms"})
    base = _data(np.full(60, 80.0 * MIB))
    bad = RunData(curves=base.curves, load=base.load, load_stats=LoadStats(1000, 50, 0.4))
    good = RunData(curves=base.curves, load=base.load, load_stats=LoadStats(1000, 2, 0.02))
    assert _check(judge(bad, limits), "error_ratio").status is Status.FAIL
    assert _check(judge(bad, limits), "latency_p95").status is Status.FAIL
    assert _check(judge(good, limits), "error_ratio").status is Status.PASS
    assert _check(judge(good, limits), "latency_p95").status is Status.PASS
    assert _check(judge(base, limits), "error_ratio").status is Status.INCONCLUSIVE


def _with_latencies(latencies_s: np.ndarray, locust_p95_s: float | None) -> RunData:
    """A minute of load at 20 updates/s whose answer latencies are given per update, in send order."""
    base = _data(np.full(61, 80.0 * MIB))
    points = Curve(np.arange(latencies_s.size) / 20.0, latencies_s)
    stats = LoadStats(int(latencies_s.size), 0, locust_p95_s)
    return RunData(curves=base.curves, load=base.load, load_stats=stats, answer_latency=points)


def test_latency_p95_leaves_the_warm_up_out_like_every_trend() -> None:
    limits = Thresholds.model_validate({"warmup": "15 s", "latency_p95_max": "250 ms"})
    latencies_s = np.full(1200, 0.03)
    latencies_s[:180] = 0.4  # the first 9 s: a cold start, 15 % of the updates
    check = _check(judge(_with_latencies(latencies_s, 0.4), limits), "latency_p95")
    assert check.status is Status.PASS and check.figure == 0.03
    assert check.span == Span(15.0, 60.0) and "whole load, warm-up included: 400 ms" in check.detail


def test_latency_p95_fails_a_slow_service_after_the_warm_up() -> None:
    limits = Thresholds.model_validate({"warmup": "15 s", "latency_p95_max": "250 ms"})
    latencies_s = np.full(1200, 0.03)
    latencies_s[600::10] = 0.5  # one update in ten slow over the second half: 20 % after the warm-up
    check = _check(judge(_with_latencies(latencies_s, 0.04), limits), "latency_p95")
    assert check.status is Status.FAIL and check.figure == 0.5


def test_latency_p95_uses_locust_figure_without_enough_updates_after_the_warm_up() -> None:
    limits = Thresholds.model_validate({"warmup": "15 s", "latency_p95_max": "250 ms"})
    check = _check(judge(_with_latencies(np.full(100, 0.03), 0.3), limits), "latency_p95")  # 5 s of load
    assert check.status is Status.FAIL and check.figure == 0.3 and "whole load (Locust)" in check.detail
