"""Verdicts on synthetic curves whose truth we know: a leak, a flat line, a sawtooth, a plateau."""

import numpy as np

from harness.analysis.checks import RunCurves
from harness.analysis.model import Curve, Span, Status
from harness.analysis.verdict import judge
from harness.config import Thresholds

MIB = 2**20


def _curves(rss: np.ndarray, fds: np.ndarray | None = None, rate_per_s: float = 20.0) -> RunCurves:
    t_s = tuple(float(t) for t in range(len(rss)))
    return RunCurves(
        rss=Curve(t_s, tuple(float(v) for v in rss)),
        fds=Curve(t_s, tuple(float(v) for v in fds)) if fds is not None else None,
        requests=Curve(t_s, tuple(rate_per_s * t for t in t_s)),
        alive=Curve(t_s, tuple(1.0 for _ in t_s)),
        load=Span(0.0, float(len(rss) - 1)),
    )


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


def _check(verdict, name):  # type: ignore[no-untyped-def]
    return next(check for check in verdict.checks if check.name == name)


def test_steady_leak_fails_with_its_rate() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(120)
    rss = 80 * MIB + t * 20 * 16 * 1024 + rng.normal(0, 0.3 * MIB, t.size)  # 16 KiB per request
    verdict = judge(_curves(rss), LIMITS)
    assert verdict.status is Status.FAIL
    per_request = _check(verdict, "rss_per_request")
    assert per_request.status is Status.FAIL
    assert 14 * 1024 < per_request.figure < 18 * 1024


def test_flat_noisy_curve_passes() -> None:
    rng = np.random.default_rng(2)
    rss = 80 * MIB + rng.normal(0, 0.5 * MIB, 120)
    verdict = judge(_curves(rss, fds=np.full(120, 40.0)), LIMITS)
    assert verdict.status is Status.PASS, verdict.checks


def test_gc_sawtooth_without_growth_passes() -> None:
    t = np.arange(180)
    rss = 80 * MIB + (t % 17) * 1.5 * MIB  # tall teeth, flat floor
    verdict = judge(_curves(rss), LIMITS)
    assert _check(verdict, "rss_slope").status is Status.PASS
    assert _check(verdict, "rss_per_request").status is Status.PASS


def test_too_short_run_is_inconclusive_not_pass() -> None:
    verdict = judge(_curves(np.full(14, 80.0 * MIB)), LIMITS)
    assert _check(verdict, "rss_slope").status is Status.INCONCLUSIVE
    assert verdict.status is Status.INCONCLUSIVE


def test_fd_growth_fails_past_limit() -> None:
    fds = 40 + np.arange(120) // 10  # +11 over the run
    verdict = judge(_curves(np.full(120, 80.0 * MIB), fds=fds), LIMITS)
    check = _check(verdict, "fds_growth")
    assert check.status is Status.FAIL
    assert check.figure >= 8


def test_target_death_fails() -> None:
    curves = _curves(np.full(60, 80.0 * MIB))
    alive = Curve(curves.alive.t_s, tuple(1.0 if t < 30 else 0.0 for t in curves.alive.t_s))  # type: ignore[union-attr]
    dead = RunCurves(curves.rss, curves.fds, curves.requests, alive, curves.load)
    assert _check(judge(dead, LIMITS), "target_alive").status is Status.FAIL


def test_plateau_is_reported_not_failed() -> None:
    t = np.arange(150)
    rss = 80 * MIB + np.minimum(t, 60) * 0.5 * MIB  # a cache filling for a minute, then full
    check = _check(judge(_curves(rss), LIMITS), "rss_slope")
    assert check.status is Status.PASS
    assert "plateau" in check.detail


def test_leak_that_keeps_growing_is_not_a_plateau() -> None:
    t = np.arange(150)
    rss = 80 * MIB + t * 0.2 * MIB
    check = _check(judge(_curves(rss), LIMITS), "rss_slope")
    assert check.status is Status.FAIL and "plateau" not in check.detail


def test_load_errors_and_latency_are_judged() -> None:
    from harness.analysis.checks import LoadStats

    limits = Thresholds.model_validate({"error_ratio_max": 0.01, "latency_p95_max": "250 ms"})
    base = _curves(np.full(60, 80.0 * MIB))
    bad = RunCurves(base.rss, base.fds, base.requests, base.alive, base.load, LoadStats(1000, 50, 0.4))
    good = RunCurves(base.rss, base.fds, base.requests, base.alive, base.load, LoadStats(1000, 2, 0.02))
    assert _check(judge(bad, limits), "error_ratio").status is Status.FAIL
    assert _check(judge(bad, limits), "latency_p95").status is Status.FAIL
    assert _check(judge(good, limits), "error_ratio").status is Status.PASS
    assert _check(judge(good, limits), "latency_p95").status is Status.PASS
    assert _check(judge(base, limits), "error_ratio").status is Status.INCONCLUSIVE
