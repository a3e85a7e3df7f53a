"""Memory judged where it grows (external memory after GC), limits on any metric by name, and the
screen of every resource curve no check judges: an unforeseen leak is reported, a healthy run
stays quiet."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.analysis.model import Check, Curve, MetricInfo, RunData, Span, Status
from harness.analysis.verdict import judge
from harness.config import Thresholds

MIB = 2.0**20
# 0-19 s baseline, 20-139 s load, 140-169 s cool-down; 10 updates/s during the load.
SECONDS = 170
LOAD = Span(20, 140)


_CATALOGUE = {
    "target.rss_bytes": ("bytes", "process"),
    "node.heap_used_after_gc_bytes": ("bytes", "node"),
    "node.heap_total_bytes": ("bytes", "node"),
    "node.external_after_gc_bytes": ("bytes", "node"),
    "node.array_buffers_after_gc_bytes": ("bytes", "node"),
    "target.fds": ("count", "process"),
    "target.fds.pipe": ("count", "process"),
    "target.tcp.peer.other": ("count", "tcp"),
    "node.listeners_most_on_one_event": ("count", "node"),
    "redis.keys.session": ("count", "redis"),
    "target.threads": ("count", "process"),
    "target.cpu_percent": ("percent", "process"),
    "mocks.telegram.requests_total": ("count", "mocks"),
    "collector.node.cost_s": ("seconds", "collector"),
    "target.tcp.peer.inspector": ("count", "collector"),
    "locust.rss_bytes": ("bytes", "self"),
    "load.updates_total": ("count", "locust"),
}


CATALOGUE = {name: MetricInfo(unit, source) for name, (unit, source) in _CATALOGUE.items()}


def _during_load(per_s: float, *, back: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Grows per_s through the load; back=True returns to the start in the cool-down."""

    def shape(t: np.ndarray) -> np.ndarray:
        grown = per_s * np.clip(t - LOAD.start_s, 0, LOAD.end_s - LOAD.start_s)
        return np.where((t >= LOAD.end_s + 5) & back, 0.0, grown)

    return shape


def _run(**changes: Callable[[np.ndarray], np.ndarray]) -> RunData:
    """A healthy run's curves (flat with noise, a sawtooth RSS, busy counters), with changes added."""
    rng = np.random.default_rng(7)
    t = np.arange(SECONDS, dtype=float)
    level = {
        "target.rss_bytes": 90 * MIB + (t % 7) * 2 * MIB,
        "node.heap_used_after_gc_bytes": 12 * MIB + rng.normal(0, 0.02 * MIB, t.size),
        "node.heap_total_bytes": 20 * MIB + rng.normal(0, 0.02 * MIB, t.size),
        "node.external_after_gc_bytes": 3 * MIB + rng.normal(0, 0.01 * MIB, t.size),
        "node.array_buffers_after_gc_bytes": 1 * MIB + rng.normal(0, 0.01 * MIB, t.size),
        "target.fds": 40 + np.where((t > LOAD.start_s) & (t < LOAD.end_s + 5), 20 + rng.integers(-3, 4, t.size), 0),
        "target.fds.pipe": np.full(t.size, 4.0),
        "target.tcp.peer.other": np.zeros(t.size),
        "node.listeners_most_on_one_event": np.full(t.size, 3.0),
        "redis.keys.session": np.zeros(t.size),
        "target.threads": 7 + 4.0 * (t > 60),  # the libuv pool starting: a step, then flat
        "target.cpu_percent": 10 + 40.0 * ((t > LOAD.start_s) & (t < LOAD.end_s)) * t / 100,
        "mocks.telegram.requests_total": 20 * np.clip(t - LOAD.start_s, 0, None),
        "collector.node.cost_s": 0.003 + 0.0001 * t,
        "target.tcp.peer.inspector": 1 + t // 20,
        "locust.rss_bytes": 50 * MIB + 0.5 * MIB * t,
        "load.updates_total": 10 * np.clip(t - LOAD.start_s, 0, LOAD.end_s - LOAD.start_s),
    }
    curves = {}
    for name, values in level.items():
        change = changes.get(name.replace(".", "__"))
        total = values if change is None else values + change(t)
        curves[name] = Curve(tuple(t.tolist()), tuple(np.asarray(total, dtype=float).tolist()))
    return RunData(curves=curves, load=LOAD, baseline=Span(0, 20), cooldown=Span(140, 169), catalogue=CATALOGUE)


LIMITS = Thresholds.model_validate(
    {
        "warmup": "20 s",
        "window": "5 s",
        "min_windows": 5,
        "recovery_window": "10 s",
        "heap_per_request_max": "2 KiB/req",
        "external_per_request_max": "1 KiB/req",
        "external_slope_max": "64 MiB/h",
        "fds_growth_max": 16,
    }
)


def _checks(data: RunData, limits: Thresholds = LIMITS) -> dict[str, Check]:
    return {check.name: check for check in judge(data, limits).checks}


def test_a_healthy_run_passes_and_the_screen_stays_quiet() -> None:
    checks = _checks(_run())
    assert {name for name, check in checks.items() if check.status is not Status.PASS} == set()
    assert "resource_screen" in checks and "none grew" in checks["resource_screen"].detail


def test_kept_buffers_fail_on_external_memory_while_the_heap_stays_flat() -> None:
    # ~4 KiB kept per update at 10 updates/s, as in issue 11's downloaded-file leak.
    grow = _during_load(40 * 1024, back=False)
    checks = _checks(_run(node__external_after_gc_bytes=grow, node__array_buffers_after_gc_bytes=grow))
    per_update = checks["external_per_request"]
    assert per_update.status is Status.FAIL and per_update.metric == "node.external_after_gc_bytes"
    assert per_update.figure is not None and 3.5 * 1024 < per_update.figure < 4.5 * 1024
    assert checks["external_slope"].status is Status.FAIL
    assert checks["heap_per_request"].status is Status.PASS
    assert not any(name.startswith("screen.") for name in checks)  # array buffers: judged with external


def test_an_unforeseen_leak_is_reported_with_its_slopes_and_what_came_back_is_not() -> None:
    leaks = _run(target__fds__pipe=_during_load(0.1, back=False), target__tcp__peer__other=_during_load(0.2, back=True))
    no_fd_limit = Thresholds.model_validate({**LIMITS.model_dump(by_alias=True), "fds_growth_max": None})
    checks = _checks(leaks, no_fd_limit)
    pipes = checks["screen.target.fds.pipe"]
    assert pipes.status is Status.INCONCLUSIVE and pipes.metric == "target.fds.pipe"
    assert pipes.figure is not None and abs(pipes.figure - 0.01) < 0.003  # per update
    assert "/update" in pipes.detail and "/h" in pipes.detail and "still there" in pipes.detail
    assert "screen.target.tcp.peer.other" not in checks  # it came back in the cool-down
    assert judge(leaks, no_fd_limit).status is Status.INCONCLUSIVE


def test_heap_capacity_grown_by_the_load_is_quiet_while_the_live_heap_is_flat_and_not_otherwise() -> None:
    # V8 reserved 11 MiB more under load and kept it; after GC the heap stayed flat: not a leak.
    no_heap_limit = Thresholds.model_validate({**LIMITS.model_dump(by_alias=True), "heap_per_request_max": None})
    reserve = _during_load(0.1 * MIB, back=False)
    checks = _checks(_run(node__heap_total_bytes=reserve), no_heap_limit)
    assert not any(name.startswith("screen.") for name in checks), checks
    assert checks["resource_screen"].status is Status.PASS
    # The live heap growing too: the live curve is the finding, named as such.
    leak = _checks(_run(node__heap_total_bytes=reserve, node__heap_used_after_gc_bytes=reserve), no_heap_limit)
    assert leak["screen.node.heap_used_after_gc_bytes"].status is Status.INCONCLUSIVE
    # Without an after-GC curve (no forced GC) nothing explains the capacity: it is reported.
    blind = _run(node__heap_total_bytes=reserve)
    curves = {name: curve for name, curve in blind.curves.items() if name != "node.heap_used_after_gc_bytes"}
    unexplained = _checks(RunData(curves=curves, load=LOAD, baseline=blind.baseline, cooldown=blind.cooldown,
                                  catalogue=CATALOGUE), no_heap_limit)  # fmt: skip
    assert unexplained["screen.node.heap_total_bytes"].status is Status.INCONCLUSIVE
    # Without forced GC the heap used (flat here) is what the total is reserved for: it speaks.
    used = {**curves, "node.heap_used_bytes": blind.curves["node.heap_used_after_gc_bytes"]}
    catalogue = {**CATALOGUE, "node.heap_used_bytes": MetricInfo("bytes", "node")}
    quiet = _checks(RunData(curves=used, load=LOAD, baseline=blind.baseline, cooldown=blind.cooldown,
                            catalogue=catalogue), no_heap_limit)  # fmt: skip
    assert not any(name.startswith("screen.") for name in quiet), quiet


def test_a_named_check_covers_the_parts_of_its_curve() -> None:
    leaks = _run(target__fds__pipe=_during_load(0.1, back=False))
    checks = _checks(leaks)  # fds_growth judges target.fds, so target.fds.pipe is its part
    assert "screen.target.fds.pipe" not in checks


def test_counters_rates_and_the_harness_own_curves_are_never_screened() -> None:
    checks = _checks(_run())
    screened = [name for name in checks if name.startswith("screen.")]
    assert screened == []  # requests_total, cpu, the collector's cost, inspector sockets, locust rss all rise


def test_listener_growth_is_found_by_the_screen_and_by_a_limit_by_name() -> None:
    leaks = _run(node__listeners_most_on_one_event=_during_load(2.0, back=False))
    assert _checks(leaks)["screen.node.listeners_most_on_one_event"].status is Status.INCONCLUSIVE
    named = Thresholds.model_validate(
        {**LIMITS.model_dump(by_alias=True), "metric": [{"name": "node.listeners_most_on_one_event", "growth_max": 8}]}
    )
    checks = _checks(leaks, named)
    assert checks["metric.node.listeners_most_on_one_event.growth"].status is Status.FAIL
    assert "screen.node.listeners_most_on_one_event" not in checks


def test_metric_limits_judge_each_kind_and_an_unknown_name_is_inconclusive() -> None:
    limits = Thresholds.model_validate(
        {
            **LIMITS.model_dump(by_alias=True),
            "metric": [
                {"name": "redis.keys.session", "per_update_max": 0.01, "growth_max": 5, "residual_max": 0, "max": 10},
                {"name": "node.external_bytes", "per_hour_max": "1 MiB/h"},
            ],
        }
    )
    keys = _during_load(0.5, back=False)  # a key kept per 20 updates
    checks = _checks(_run(redis__keys__session=keys), limits)
    for kind in ("per_update", "growth", "residual", "max"):
        assert checks[f"metric.redis.keys.session.{kind}"].status is Status.FAIL, kind
    assert checks["metric.redis.keys.session.per_update"].unit == "count/req"
    unknown = checks["metric.node.external_bytes.per_hour"]
    assert unknown.status is Status.INCONCLUSIVE
    assert "not recorded" in unknown.detail and "node.external_after_gc_bytes" in unknown.detail
    healthy = _checks(_run(), limits)
    assert healthy["metric.redis.keys.session.growth"].status is Status.PASS


def test_a_plateau_reached_during_warm_up_is_not_screened() -> None:
    def cache(t: np.ndarray) -> np.ndarray:
        return 30 * MIB * np.clip((t - LOAD.start_s) / 15, 0, 1)  # full 15 s into the load

    checks = _checks(_run(node__external_after_gc_bytes=cache, node__array_buffers_after_gc_bytes=cache))
    assert checks["external_per_request"].status is Status.PASS
    assert checks["external_slope"].status is Status.PASS


def test_a_check_covers_the_same_resource_counted_elsewhere() -> None:
    from harness.analysis.screen import covered_by

    covered = covered_by(["redis.target_clients", "target.fds", "node.external_after_gc_bytes"])
    assert {"redis.connected_clients", "target.fds.", "node.array_buffers_bytes"} <= covered
    assert "node.heap_used_bytes" not in covered  # the heap is its own resource
