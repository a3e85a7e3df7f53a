"""Calls per update per upstream and route, window by window, with fault windows judged apart."""

from __future__ import annotations

from dataclasses import replace

from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow, latency_bucket
from harness.analysis.model import Curve, FaultWindow, RunData, Span, Status
from harness.analysis.verdict import judge
from harness.config import Thresholds

RATE_PER_S = 20.0
FAULT = FaultWindow("telegram", "sendMessage", "error", Span(60.0, 90.0))


def _calls(per_update: float, storm_per_update: float | None = None, length_s: int = 150) -> Curve:
    """Cumulative calls at one call rate, with another rate inside the fault window."""
    t_s, values, total = [], [], 0.0
    for second in range(length_s):
        t_s.append(float(second))
        values.append(total)
        inside = FAULT.span.start_s <= second < FAULT.span.end_s
        total += RATE_PER_S * (storm_per_update if inside and storm_per_update is not None else per_update)
    return Curve(tuple(t_s), tuple(values))


def _run(telegram: Curve, cursor_runner: Curve, faults: tuple[FaultWindow, ...] = (FAULT,)) -> RunData:
    updates = Curve(tuple(float(t) for t in range(150)), tuple(RATE_PER_S * t for t in range(150)))
    calls = {"telegram.sendMessage": telegram, "cursor_runner.iterate": cursor_runner}
    return RunData({"load.updates_total": updates}, load=Span(0.0, 149.0), fault_windows=faults, calls=calls)


LIMITS = Thresholds.model_validate(
    {
        "warmup": "10 s",
        "work_window": "10 s",
        "upstream_calls_per_update_max": {"telegram": 2.5, "cursor_runner": 1.2, "telegram.sendMessage": 2.5},
    }
)


def _checks(data: RunData) -> dict[str, object]:
    return {c.name: c for c in judge(data, LIMITS).checks if c.name.startswith("upstream_calls_per_update")}


def test_healthy_ratios_pass_and_a_fault_with_fallbacks_is_judged_apart() -> None:
    # A healthy service doubling its Telegram calls in the fault (the failure, then its apology).
    checks = _checks(_run(_calls(2.0, storm_per_update=4.0), _calls(1.0)))
    assert {c.status for c in checks.values()} == {Status.PASS}, checks
    assert "during faults max 4 at" in checks["upstream_calls_per_update.telegram"].detail


def test_a_retry_storm_fails_and_names_the_fault_window() -> None:
    checks = _checks(_run(_calls(2.0, storm_per_update=16.0), _calls(1.0, storm_per_update=4.0)))
    telegram, cursor_runner = (
        checks["upstream_calls_per_update.telegram"],
        checks["upstream_calls_per_update.cursor_runner"],
    )
    assert telegram.status is Status.FAIL and cursor_runner.status is Status.FAIL
    assert cursor_runner.figure == 4.0 and cursor_runner.limit == 2.4
    assert "fault window telegram sendMessage error 60-90 s" in cursor_runner.detail
    assert cursor_runner.peak_span is not None and 60 <= cursor_runner.peak_span.start_s < 90


def test_amplification_outside_any_fault_fails_the_steady_state() -> None:
    checks = _checks(_run(_calls(2.0), _calls(1.0, storm_per_update=2.0), faults=()))
    check = checks["upstream_calls_per_update.cursor_runner"]
    assert check.status is Status.FAIL and check.figure == 2.0 and "steady max 2 at 60-70 s" in check.detail


def test_without_call_records_it_is_inconclusive() -> None:
    data = RunData({"load.updates_total": Curve((0.0, 100.0), (0.0, 2000.0))}, load=Span(0.0, 100.0))
    checks = _checks(data)
    assert {c.status for c in checks.values()} == {Status.INCONCLUSIVE}
    assert "upstream-calls.jsonl" in checks["upstream_calls_per_update.telegram"].detail


def test_the_scenarios_send_times_are_the_denominator_when_recorded() -> None:
    # Locust's history reads half the updates (a lagging count); the scenario's log reads them all.
    data = _run(_calls(1.0), _calls(1.0), faults=())
    lagging = Curve(tuple(float(t) for t in range(150)), tuple(RATE_PER_S / 2 * t for t in range(150)))
    exact = Curve(tuple(float(t) for t in range(150)), tuple(RATE_PER_S * t for t in range(150)))
    assert _checks(replace(data, curves={"load.updates_total": lagging}))[
        "upstream_calls_per_update.cursor_runner"
    ].status is Status.FAIL  # fmt: skip
    checks = _checks(replace(data, curves={"load.updates_total": lagging}, accepted=exact))
    assert checks["upstream_calls_per_update.cursor_runner"].figure == 1.0


def _accounting(lag_s_by_window: dict[int, float]) -> Accounting:
    """Text updates sent each 10-s window from 10 s, completed after the given median lag (1 s else)."""
    windows = []
    for start in range(10, 150, 10):
        counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
        counts[latency_bucket(lag_s_by_window.get(start, 1.0))] = 200
        windows.append(FlowWindow("text", Span(start, start + 10), 200, 200, 0, 0, {}, 0, 0, 0, tuple(counts)))
    return Accounting(tuple(windows), 60.0, 200 * len(windows))


def test_a_backlog_draining_counts_earlier_updates_calls_and_is_judged_apart() -> None:
    """leak-repro on a starved machine: the service 23 s behind, a window's 649 Telegram calls were
    the calls of 399 updates and of earlier ones. The window is shown, not judged; the same ratio in a
    window where the service kept up still fails."""
    drained = _calls(2.0, storm_per_update=3.0)  # 3 calls/update counted in 60-90 s: a backlog landing
    lags = {50: 23.0, 60: 23.0, 70: 23.0, 80: 23.0}
    behind = replace(_run(drained, _calls(1.0), faults=()), accounting=_accounting(lags))
    check = _checks(behind)["upstream_calls_per_update.telegram"]
    assert check.status is Status.PASS, check
    assert "behind by more than a window" in check.detail and "judged apart: max 3" in check.detail, check.detail
    kept_up = replace(behind, accounting=_accounting({}))
    assert _checks(kept_up)["upstream_calls_per_update.telegram"].status is Status.FAIL
