"""Growth checks on a run whose load rose (a knee run's steps): the connections a higher rate keeps
open are not a leak, what is left after the cool-down is; a steady run is judged as before."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.analysis.model import Check, Curve, MetricInfo, Pause, RunData, Span, Status
from harness.analysis.rules import evaluate_rules
from harness.config import Thresholds

# 0-19 s baseline, 20-99 s load, 100-129 s cool-down.
HEAP = "node.heap_used_after_gc_bytes"
LOAD = Span(20, 100)
LIMITS = Thresholds.model_validate(
    {"warmup": "10 s", "window": "5 s", "min_windows": 5, "recovery_window": "10 s", "fds_growth_max": 16}
)


def _rate(t: np.ndarray, *, rising: bool) -> np.ndarray:
    """Updates/s: 5 then 30 from 60 s when rising (a knee's steps), else 10 throughout the load."""
    during = (t >= LOAD.start_s) & (t <= LOAD.end_s)
    return np.where(during, np.where(t >= 60, 30.0, 5.0) if rising else 10.0, 0.0)


def _run(*, rising: bool, leak_per_update: float = 0.0, draining: bool = False) -> RunData:
    t = np.arange(130, dtype=float)
    rate = _rate(t, rising=rising)
    updates = np.cumsum(rate)
    fds = 30 + 3 * rate + leak_per_update * updates  # a connection per 3 updates/s in flight
    calls = np.cumsum(2 * rate + np.where(draining & (t >= LOAD.end_s), 20.0, 0.0))
    curves = {
        "target.fds": Curve(tuple(t.tolist()), tuple(np.round(fds).tolist())),
        "load.updates_total": Curve(tuple(t.tolist()), tuple(updates.tolist())),
        "mocks.requests_total": Curve(tuple(t.tolist()), tuple(calls.tolist())),
    }
    catalogue = {name: MetricInfo("count", "process") for name in curves}
    return RunData(curves=curves, load=LOAD, baseline=Span(0, 20), cooldown=Span(100, 129), catalogue=catalogue)


def _fds(data: RunData) -> Check:
    return next(check for check in evaluate_rules(data, LIMITS) if check.name == "fds_growth")


def test_connections_held_by_a_higher_rate_pass_once_they_close_in_the_cool_down() -> None:
    check = _fds(_run(rising=True))
    assert check.status is Status.PASS, check
    assert "the load rose from 5 to 3" in check.detail and "after the cool-down" in check.detail


def test_a_leak_during_a_rising_load_still_fails() -> None:
    check = _fds(_run(rising=True, leak_per_update=0.02))  # one fd kept per 50 updates, 1,400 updates
    assert check.status is Status.FAIL and check.figure is not None and check.figure > 16, check


def test_work_still_draining_at_the_end_of_the_cool_down_is_inconclusive_with_why() -> None:
    check = _fds(_run(rising=True, draining=True))
    assert check.status is Status.INCONCLUSIVE and "still in flight" in check.detail, check


def test_a_steady_load_is_judged_on_its_first_and_last_windows() -> None:
    steady = _fds(_run(rising=False))
    assert steady.status is Status.PASS and "window medians" in steady.detail
    leak = _fds(_run(rising=False, leak_per_update=0.05))  # 0.5 fd/s over 70 judged s
    assert leak.status is Status.FAIL and "window medians" in leak.detail


def test_a_backlog_growing_after_a_declared_rise_is_judged_after_the_cool_down() -> None:
    # A knee rose in the warm-up: the judged windows send at one rate while the queue, and the
    # connections it holds, grow; they close in the cool-down.
    steady = _run(rising=False)
    t = np.asarray(steady.curves["target.fds"].t_s)
    backlog = np.where((t >= LOAD.start_s) & (t <= LOAD.end_s), t - LOAD.start_s, 0.0)
    curves = {**steady.curves, "target.fds": Curve(tuple(t.tolist()), tuple((30 + backlog).tolist()))}
    undeclared = replace(steady, curves=curves)
    assert _fds(undeclared).status is Status.FAIL  # a steady run whose counts grow: a leak as far as it can tell
    declared = _fds(replace(undeclared, load_rise="a knee run raises its rate step by step"))
    assert declared.status is Status.PASS and declared.detail.startswith("a knee run raises"), declared


def test_the_profile_says_which_loads_rise_on_purpose() -> None:
    from harness.analysis.knee import declared_rise
    from harness.config import parse_profile

    def load(**fields: object) -> str | None:
        return declared_rise(parse_profile({"target": {"command": ["node", "x.js"]}, "load": fields}))

    assert load(shape="knee", rate=5, step_rate=5, peak_rate=20) is not None
    assert load(shape="ramp", users=2, peak_users=10, ramp="30 s") == "the load ramps from 2 to 10 users"
    assert load(shape="arrival_rate", rate=5, peak_rate=20, rate_curve="ramp", ramp="30 s") is not None
    assert load(shape="steady") is None and load(shape="arrival_rate", rate=5) is None
    assert load(shape="spike", users=2, peak_users=10, spike_at="10 s", spike_duration="5 s") is None


def _heap_run(*, kept_per_update_bytes: float) -> RunData:
    """Heap after GC holding 2 KiB per update/s in flight (a knee's backlog), given back in the
    cool-down except what a leak kept per update."""
    t = np.arange(130, dtype=float)
    rate = _rate(t, rising=True)
    updates = np.cumsum(rate)
    heap = 20 * 2**20 + 2048 * rate * 10 + kept_per_update_bytes * updates
    curves = {
        "node.heap_used_after_gc_bytes": Curve(tuple(t.tolist()), tuple(heap.tolist())),
        "load.updates_total": Curve(tuple(t.tolist()), tuple(updates.tolist())),
        "mocks.requests_total": Curve(tuple(t.tolist()), tuple(np.cumsum(2 * rate).tolist())),
    }
    catalogue = {name: MetricInfo("count", "process") for name in curves}
    catalogue["node.heap_used_after_gc_bytes"] = MetricInfo("bytes", "process")
    run = RunData(curves=curves, load=LOAD, baseline=Span(0, 20), cooldown=Span(100, 129), catalogue=catalogue)
    return replace(run, load_rise="a knee run raises its rate step by step")


def _memory(data: RunData) -> dict[str, Check]:
    limits = Thresholds.model_validate(
        {"warmup": "10 s", "window": "5 s", "min_windows": 5, "recovery_window": "10 s",
         "heap_per_request_max": "512 B/req", "heap_slope_max": "32 MiB/h"}
    )  # fmt: skip
    return {check.name: check for check in evaluate_rules(data, limits)}


def test_memory_in_flight_on_a_rising_load_is_not_a_per_update_leak_but_what_the_cool_down_keeps_is() -> None:
    clean = _memory(_heap_run(kept_per_update_bytes=0.0))
    assert clean["heap_per_request"].status is Status.PASS, clean["heap_per_request"]
    # From the end of the warm-up (30 s, 5 updates/s in flight): the updates after it, 1,375 of them.
    assert "-100 KiB kept over 1,375 updates = -74.5 B/update" in clean["heap_per_request"].detail
    assert clean["heap_slope"].status is Status.PASS, clean["heap_slope"]
    leaking = _memory(_heap_run(kept_per_update_bytes=4096.0))
    assert leaking["heap_per_request"].status is Status.FAIL, leaking["heap_per_request"]
    figure = leaking["heap_per_request"].figure
    assert figure is not None and 3000 < figure < 5000


def test_what_the_first_requests_build_once_is_not_kept_per_update() -> None:
    # Compiled code, pools and fixed-size caches: 3 MiB more after GC from the first requests on,
    # for good. Measured from the idle baseline it reads as 3 MiB kept by 1,425 updates (2.2 KiB
    # each, peak failed so); from the end of the warm-up, as nothing.
    run = _heap_run(kept_per_update_bytes=0.0)
    curve = run.curves[HEAP]
    t = np.asarray(curve.t_s)
    built = np.asarray(curve.values) + np.where(t >= LOAD.start_s, 3 * 2**20, 0)
    checks = _memory(replace(run, curves={**run.curves, HEAP: Curve(tuple(t.tolist()), tuple(built))}))
    assert checks["heap_per_request"].status is Status.PASS, checks["heap_per_request"]
    assert "at the end of the warm-up" in checks["heap_per_request"].detail
    no_warmup = {check.name: check for check in evaluate_rules(
        replace(run, curves={**run.curves, HEAP: Curve(tuple(t.tolist()), tuple(built))}),
        Thresholds.model_validate({"warmup": "0 s", "window": "5 s", "min_windows": 5, "recovery_window": "10 s",
                                   "heap_per_request_max": "512 B/req"}))}  # fmt: skip
    assert no_warmup["heap_per_request"].status is Status.FAIL and "before load" in no_warmup["heap_per_request"].detail


def test_a_curve_read_less_often_than_the_baseline_lasts_keeps_its_last_reading() -> None:
    # Memory after a forced GC every 30 s with a 20 s baseline: no reading falls inside it (peak
    # called every memory check "no samples before the load"). The last reading before the load is
    # the level before it; a reading every 30 s at the end judges the cool-down.
    run = _run(rising=True)
    t = np.asarray(run.curves["target.fds"].t_s)
    values = np.asarray(run.curves["target.fds"].values)
    sparse_t = np.asarray([5.0, 35.0, 65.0, 95.0, 125.0])  # none in the 0-20 s baseline after 5 s
    sparse = Curve(tuple(sparse_t.tolist()), tuple(np.interp(sparse_t, t, values).tolist()))
    data = replace(run, baseline=Span(10, 20), curves={**run.curves, "target.fds": sparse})
    check = _fds(data)
    assert check.status is Status.PASS and "after the cool-down" in check.detail, check
    leaking = np.interp(sparse_t, t, values) + np.asarray([0, 0, 10, 20, 30])  # kept and never given back
    check = _fds(replace(data, curves={**run.curves, "target.fds": Curve(tuple(sparse_t.tolist()), tuple(leaking))}))
    assert check.status is Status.FAIL and check.figure == 30, check


def _paused_steady_run(*, kept_after: bool) -> RunData:
    """A steady load (10 updates/s) that soak paused at 40 s and 70 s for 2 s each: the catch-up
    after each opened 15 more sockets, which a busy pool keeps until the load stops."""
    run = _run(rising=False)
    t = np.asarray(run.curves["target.fds"].t_s)
    during = (t >= LOAD.start_s) & (t <= LOAD.end_s)
    steps = 15.0 * ((t >= 42) & during) + 15.0 * ((t >= 72) & during)
    if kept_after:
        steps = 15.0 * (t >= 42) + 15.0 * (t >= 72)  # never closed: the cool-down keeps them
    fds = Curve(tuple(t.tolist()), tuple((30 + 30 * during + steps).tolist()))
    pauses = (Pause("listener_census", Span(40, 42)), Pause("listener_census", Span(70, 72)))
    return replace(run, curves={**run.curves, "target.fds": fds}, pauses=pauses)


def test_sockets_a_pool_opened_after_soaks_pauses_pass_once_the_cool_down_gives_them_back() -> None:
    given_back = _fds(_paused_steady_run(kept_after=False))
    assert given_back.status is Status.PASS and "soak paused the target 2 times" in given_back.detail, given_back
    kept = _fds(_paused_steady_run(kept_after=True))
    assert kept.status is Status.FAIL and kept.figure == 30, kept
    unpaused = _fds(replace(_paused_steady_run(kept_after=False), pauses=()))
    assert unpaused.status is Status.FAIL and "window medians" in unpaused.detail, unpaused  # no pause: a trend


def test_what_a_short_rising_load_keeps_once_is_no_rate_per_hour() -> None:
    """A knee that stopped after minutes kept what its highest rate sized once (0.75 MiB here, from
    the 30 updates/s step on): spread over 70 s of load that reads as 33 MiB/h, past the limit;
    the per-update figure judges it, the per-hour one says why it cannot."""
    run = _heap_run(kept_per_update_bytes=0.0)
    curve = run.curves[HEAP]
    t = np.asarray(curve.t_s)
    kept = np.asarray(curve.values) + np.where(t >= 60, 0.75 * 2**20, 0.0)
    checks = _memory(replace(run, curves={**run.curves, HEAP: Curve(curve.t_s, tuple(kept.tolist()))}))
    slope = checks["heap_slope"]
    assert slope.status is Status.INCONCLUSIVE and "not judged per hour" in slope.detail, slope
    assert slope.figure is not None and slope.figure > 32 * 2**20 / 3600
    assert checks["heap_per_request"].status is Status.PASS, checks["heap_per_request"]
