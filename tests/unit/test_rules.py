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


def test_sockets_still_up_while_the_service_works_through_its_backlog_are_inconclusive() -> None:
    """A starved or slow service still calling its upstreams at the end of the cool-down holds the
    sockets of that work: measured on the reference bot held to a tenth of a CPU, 20 sockets after
    a 12 s cool-down against 4 before, 4.3 calls/s at the mocks. Once it is done, a leak fails."""
    leaky = [12.0] * 10 + list(np.linspace(12, 80, 60)) + [80.0] * 20
    calls_per_s = [0.0] * 10 + [20.0] * 60 + [5.0] * 20  # still calling through the cool-down
    data = _run(leaky, [0.0] * 90)
    calls = _curve(list(np.cumsum(calls_per_s)))
    draining = RunData({**data.curves, rules.REQUESTS: calls}, data.load, data.baseline, data.cooldown)
    check = next(c for c in judge(draining, LIMITS).checks if c.name == "sockets_residual")
    assert check.status is Status.INCONCLUSIVE and "calls/s at the mocks above the baseline" in check.detail
    done = [0.0] * 10 + [20.0] * 60 + [5.0] * 10 + [0.0] * 10  # done before the last 5 s
    finished = RunData({**data.curves, rules.REQUESTS: _curve(list(np.cumsum(done)))}, data.load, data.baseline,
                       data.cooldown)  # fmt: skip
    check = next(c for c in judge(finished, LIMITS).checks if c.name == "sockets_residual")
    assert check.status is Status.FAIL and check.figure == 68


def _with_calls(data: RunData, calls_per_s: list[float]) -> RunData:
    calls = _curve(list(np.cumsum(calls_per_s)))
    return RunData({**data.curves, rules.REQUESTS: calls}, data.load, data.baseline, data.cooldown)


def test_sockets_of_calls_too_late_to_have_idled_out_are_inconclusive_and_a_poller_is_no_work() -> None:
    """The reference bot held to a tenth of a CPU finished its backlog 4 s before the end of a 12 s
    cool-down: no calls left in the residual's window, but its sockets closed only a keep-alive
    timeout (5 s) after their last use, after the run had ended."""
    leaky = [12.0] * 10 + list(np.linspace(12, 80, 60)) + [80.0] * 20
    data = _run(leaky, [0.0] * 90)
    late = [0.0] * 10 + [20.0] * 60 + [5.0] * 13 + [0.0] * 7  # last calls at 83 s, the window 84-89 s
    check = next(c for c in judge(_with_calls(data, late), LIMITS).checks if c.name == "sockets_residual")
    assert check.status is Status.INCONCLUSIVE and "last upstream calls came" in check.detail, check.detail
    early = [0.0] * 10 + [20.0] * 62 + [0.0] * 18  # done 2 s into the cool-down
    check = next(c for c in judge(_with_calls(data, early), LIMITS).checks if c.name == "sockets_residual")
    assert check.status is Status.FAIL
    # A service polling an upstream every 2 s, before the load as after it, is not working through anything.
    polling = [0.5] * 10 + [20.5] * 62 + [0.5] * 18
    check = next(c for c in judge(_with_calls(data, polling), LIMITS).checks if c.name == "sockets_residual")
    assert check.status is Status.FAIL


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


def _churn_run(requests_per_s: float, churned_per_s: float, *, opened_per_s: float | None = None) -> RunData:
    """A 60 s run at one mock: requests, churned connections (all one-shot) and new connections per second."""
    t = [float(x) for x in range(60)]
    opened = churned_per_s if opened_per_s is None else opened_per_s
    rates = {
        "requests_total": requests_per_s,
        "connections_churned": churned_per_s,
        "connections_one_shot": churned_per_s,
        "connections_left_behind": 0.0,
        "connections_opened": opened,
        "connections_closed_by_client": opened,
        "connections_closed_idle_by_mock": 0.0,
    }
    curves = {f"mocks.telegram.{name}": Curve(tuple(t), tuple(rate * x for x in t)) for name, rate in rates.items()}
    curves["mocks.elevenlabs.requests_total"] = Curve(tuple(t), tuple(0.0 for _ in t))
    return RunData(curves=curves, load=Span(0, 59))


def _churn_checks(data: RunData, limits: Thresholds) -> dict[str, Check]:
    return {c.name: c for c in judge(data, limits).checks if c.name.startswith("connection_churn")}


def test_connection_churn_passes_a_pool_at_any_call_rate_and_fails_a_client_per_request() -> None:
    limits = Thresholds.model_validate({"warmup": "10 s", "connection_churn_max": 0.05})
    # A pool called every 7 s (past its 5 s idle timeout) opens a connection per call: not churn.
    slow_pool = _churn_checks(_churn_run(0.15, 0.0, opened_per_s=0.15), limits)["connection_churn.telegram"]
    fast_pool = _churn_checks(_churn_run(20, 0.0, opened_per_s=0.0), limits)["connection_churn.telegram"]
    per_request = _churn_checks(_churn_run(20, 20), limits)["connection_churn.telegram"]
    assert slow_pool.status is Status.PASS and "1 requests per new connection" in slow_pool.detail
    assert fast_pool.status is Status.PASS and "all on connections opened earlier" in fast_pool.detail
    assert per_request.status is Status.FAIL and per_request.figure == 1.0
    assert "980 one-shot" in per_request.detail and per_request.metric == "mocks.telegram.connections_churned"
    assert "connection_churn.elevenlabs" not in _churn_checks(_churn_run(20, 20), limits)  # never called


def test_connection_churn_limit_is_a_share_of_requests() -> None:
    limits = Thresholds.model_validate({"warmup": "10 s", "connection_churn_max": 0.05})
    assert _churn_checks(_churn_run(20, 0.9), limits)["connection_churn.telegram"].status is Status.PASS
    assert _churn_checks(_churn_run(20, 1.2), limits)["connection_churn.telegram"].status is Status.FAIL


def test_connection_churn_with_too_little_to_tell_is_inconclusive() -> None:
    limits = Thresholds.model_validate({"warmup": "10 s", "connection_churn_max": 0.05})
    few_requests = _churn_checks(_churn_run(0.05, 0.05), limits)["connection_churn.telegram"]
    assert few_requests.status is Status.INCONCLUSIVE and "only 2 requests" in few_requests.detail
    two_strays = _churn_checks(_churn_run(0.5, 0.04), limits)["connection_churn.telegram"]
    assert two_strays.status is Status.INCONCLUSIVE and "only 2 churned connections" in two_strays.detail
    late = Thresholds.model_validate({"warmup": "2 min", "connection_churn_max": 0.05})
    assert [c.status for c in _churn_checks(_churn_run(20, 0), late).values()] == [Status.INCONCLUSIVE]
    data = _churn_run(20, 20)
    unrecorded = RunData(curves={k: v for k, v in data.curves.items() if "churned" not in k}, load=data.load)
    check = _churn_checks(unrecorded, limits)["connection_churn.telegram"]
    assert check.status is Status.INCONCLUSIVE and check.detail == "connection churn not recorded"


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
