"""The rule table: names in step with the collector, residuals after cool-down, missing metrics."""

import numpy as np

from harness.analysis import rules
from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.verdict import judge
from harness.collector import metrics
from harness.config import CollectorSection, Thresholds


def _curve(values: list[float]) -> Curve:
    return Curve(tuple(float(t) for t in range(len(values))), tuple(values))


def test_rule_metric_names_are_in_the_collector_catalogue() -> None:
    catalogue = {value.name for value in vars(metrics).values() if isinstance(value, metrics.Metric)}
    catalogue |= {metrics.fds_of_kind("socket").name, metrics.node_resource("Timeout").name}
    catalogue |= {metrics.redis_keys_of(prefix).name for prefix in CollectorSection().redis_prefixes}
    for rule in rules.RULES:
        for name in rule.metrics:
            assert name in catalogue, f"{rule.check} reads {name}, which the collector does not record"


def _run(sockets: list[float], tmp_files: list[float]) -> RunData:
    # 0-9 s baseline, 10-69 s load, 70-89 s cool-down
    curves = {"target.fds.socket": _curve(sockets), "tmp.files": _curve(tmp_files)}
    return RunData(curves=curves, load=Span(10, 70), baseline=Span(0, 10), cooldown=Span(70, 89))


LIMITS = Thresholds.model_validate(
    {"sockets_residual_max": 2, "temp_files_residual_max": 0, "recovery_window": "5 s", "redis_clients_growth_max": 0}
)


def test_sockets_that_come_back_pass_and_leaked_ones_fail() -> None:
    healthy = [12.0] * 10 + [40.0] * 60 + [12.0] * 20
    leaky = [12.0] * 10 + list(np.linspace(12, 80, 60)) + [80.0] * 20
    files = [0.0] * 90
    checks = {c.name: c for c in judge(_run(healthy, files), LIMITS).checks}
    assert checks["sockets_residual"].status is Status.PASS
    checks = {c.name: c for c in judge(_run(leaky, files), LIMITS).checks}
    assert checks["sockets_residual"].status is Status.FAIL and checks["sockets_residual"].figure == 68


def test_temp_files_left_after_cool_down_fail() -> None:
    files = [0.0] * 10 + [3.0] * 60 + [2.0] * 20  # two files never deleted
    check = next(c for c in judge(_run([10.0] * 90, files), LIMITS).checks if c.name == "temp_files_residual")
    assert check.status is Status.FAIL and check.figure == 2


def test_threshold_on_an_unrecorded_metric_is_inconclusive() -> None:
    check = next(c for c in judge(_run([1.0] * 90, [0.0] * 90), LIMITS).checks if c.name == "redis_clients_growth")
    assert check.status is Status.INCONCLUSIVE and "not recorded" in check.detail


def test_egress_refusals_fail_only_when_a_guard_was_there() -> None:
    from harness.analysis.model import RunData, Span

    limits = Thresholds.model_validate({})
    guarded = RunData(curves={}, load=Span(0, 10), log_counts={"egress_refused": 3})
    unguarded = RunData(curves={}, load=Span(0, 10), log_counts={})
    check = next(c for c in judge(guarded, limits).checks if c.name == "egress_refused")
    assert check.status is Status.FAIL and check.figure == 3
    assert all(c.name != "egress_refused" for c in judge(unguarded, limits).checks)


def _reuse_run(requests_per_s: float, connections_per_s: float) -> RunData:
    from harness.analysis.model import RunData, Span

    t = list(range(60))
    curves = {
        "mocks.telegram.requests_total": Curve(tuple(map(float, t)), tuple(requests_per_s * x for x in t)),
        "mocks.telegram.connections_opened": Curve(tuple(map(float, t)), tuple(connections_per_s * x for x in t)),
        "mocks.elevenlabs.requests_total": Curve(tuple(map(float, t)), tuple(0.0 for _ in t)),
    }
    return RunData(curves=curves, load=Span(0, 59))


def test_connection_reuse_tells_pooling_from_a_client_per_request() -> None:
    limits = Thresholds.model_validate({"warmup": "10 s", "connection_reuse_min": 5})
    pooled = {c.name: c for c in judge(_reuse_run(20, 0.1), limits).checks}
    per_request = {c.name: c for c in judge(_reuse_run(20, 20), limits).checks}
    assert pooled["connection_reuse.telegram"].status is Status.PASS
    assert per_request["connection_reuse.telegram"].status is Status.FAIL
    assert per_request["connection_reuse.telegram"].figure == 1.0
    assert "connection_reuse.elevenlabs" not in pooled  # an upstream the scenario never called
    kept_open = {c.name: c for c in judge(_reuse_run(20, 0), limits).checks}["connection_reuse.telegram"]
    assert kept_open.status is Status.PASS and "none new" in kept_open.detail


def test_connection_reuse_with_nothing_after_warm_up_is_inconclusive() -> None:
    limits = Thresholds.model_validate({"warmup": "2 min", "connection_reuse_min": 5})
    checks = judge(_reuse_run(20, 0.1), limits).checks
    assert [c.status for c in checks if c.name.startswith("connection_reuse")] == [Status.INCONCLUSIVE]


def _work_run(updates_per_s: float, calls_per_s: float, violations: float = 0.0, silent_after_s: int = 60) -> RunData:
    t = [float(x) for x in range(60)]
    calls = tuple(calls_per_s * min(x, silent_after_s) for x in t)
    curves = {
        "load.updates_total": Curve(tuple(t), tuple(updates_per_s * x for x in t)),
        "mocks.requests_total": Curve(tuple(t), calls),
        "mocks.telegram.contract_violations": Curve(tuple(t), tuple(violations * x / 59 for x in t)),
        "mocks.cursor_runner.contract_violations": Curve(tuple(t), tuple(0.0 for _ in t)),
    }
    return RunData(curves=curves, load=Span(0, 59))


def _named(data: RunData, limits: Thresholds, name: str) -> Check:
    return next(c for c in judge(data, limits).checks if c.name == name)


def test_a_service_that_stops_calling_its_upstreams_fails_work_done() -> None:
    limits = Thresholds.model_validate({"warmup": "10 s", "upstream_calls_per_update_min": 1.5})
    working = _named(_work_run(10, 20), limits, "upstream_calls_per_update")
    silent = _named(_work_run(10, 20, silent_after_s=20), limits, "upstream_calls_per_update")
    few = _named(_work_run(0.2, 1), limits, "upstream_calls_per_update")
    assert working.status is Status.PASS and working.figure == 2.0
    assert silent.status is Status.FAIL and silent.figure < 0.5
    assert few.status is Status.INCONCLUSIVE
    unrecorded = RunData(curves={}, load=Span(0, 59))
    assert _named(unrecorded, limits, "upstream_calls_per_update").status is Status.INCONCLUSIVE


def test_contract_violations_fail_by_default_and_name_the_upstream() -> None:
    limits = Thresholds.model_validate({})
    clean = _named(_work_run(10, 20), limits, "contract_violations")
    broken = _named(_work_run(10, 20, violations=3), limits, "contract_violations")
    assert clean.status is Status.PASS
    assert broken.status is Status.FAIL and broken.figure == 3
    assert "telegram 3" in broken.detail
    assert all(c.name != "contract_violations" for c in judge(RunData(curves={}, load=Span(0, 9)), limits).checks)
