"""Judging the per-update accounting: pooled latency windows, steady and fault maxima, the flow table."""

from __future__ import annotations

import numpy as np

from harness.analysis.flow_checks import accounting_checks, pooled
from harness.analysis.flow_table import FAULTED, STEADY, flow_rows
from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow, latency_bucket
from harness.analysis.knee import Knee, KneeStep, StepFigures
from harness.analysis.model import Check, Curve, FaultWindow, RunData, Span, Status
from harness.analysis.rules import evaluate_rules
from harness.config import Thresholds
from vocab.metrics import Metric

FAULT = FaultWindow("telegram", "sendMessage", "error", Span(40.0, 50.0))


def _latencies(*values_s: float) -> tuple[int, ...]:
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    for value_s in values_s:
        counts[latency_bucket(value_s)] += 1
    return tuple(counts)


def _window(start_s: float, latencies_s: list[float], *, flow: str = "text", telegram: int | None = None,
            lost: int = 0, explained: int = 0, in_fault: bool = False) -> FlowWindow:  # fmt: skip
    done = len(latencies_s)
    updates = done + lost + explained
    calls = {"telegram.sendMessage": 2 * updates if telegram is None else telegram, "cursor_runner.iterate": updates}
    return FlowWindow(flow, Span(start_s, start_s + 10.0), updates, done, lost, explained, calls, updates, updates, 0,
                      _latencies(*latencies_s), in_fault)  # fmt: skip


def test_latency_windows_are_pooled_until_they_hold_enough_and_never_across_a_gap() -> None:
    windows = [_window(0, [0.1] * 8), _window(10, [0.1] * 8), _window(20, [0.1] * 8), _window(30, [0.1] * 3),
               _window(60, [0.1] * 5), _window(70, [0.1] * 30)]  # fmt: skip
    groups = pooled(windows, 20)
    # 0-30 reaches 24; 30-40 (3) joins it; 60-70 starts anew after the gap and reaches 35 with 70-80.
    assert [span for span, _ in groups] == [Span(0, 40), Span(60, 80)]
    assert [sum(counts) for _, counts in groups] == [27, 35]
    assert pooled([_window(0, [0.1] * 5)], 20) == []


def _judge(windows: list[FlowWindow], **limits: object) -> dict[str, Check]:
    data = RunData({}, load=Span(0.0, 100.0), fault_windows=(FAULT,), accounting=Accounting(tuple(windows), 60.0, 0))
    checks = accounting_checks(data, Thresholds.model_validate({"warmup": "0 s", **limits}))
    return {check.name: check for check in checks}


def test_one_slow_update_in_twenty_does_not_fail_the_p95_and_a_slow_flow_does() -> None:
    quick = [_window(0, [0.05] * 19 + [5.0]), _window(10, [0.05] * 20)]
    assert _judge(quick, e2e_latency_p95_max="1 s")["e2e_latency_p95.text"].status is Status.PASS
    slow = [_window(0, [0.05] * 18 + [5.0] * 2), _window(10, [0.05] * 20)]
    check = _judge(slow, e2e_latency_p95_max="1 s")["e2e_latency_p95.text"]
    assert check.status is Status.FAIL and "0-10 s (20 completed)" in check.detail
    few = _judge([_window(0, [0.05] * 5)], e2e_latency_p95_max="1 s")["e2e_latency_p95.text"]
    assert few.status is Status.INCONCLUSIVE


def test_calls_per_update_names_steady_and_fault_maxima_and_fails_past_either_limit() -> None:
    # 2 per update steady; 3.5 in the window touching the fault (a failed reply and its apology).
    windows = [
        _window(0, [0.1] * 10),
        _window(40, [0.1] * 4, telegram=35, explained=6, in_fault=True),
        _window(70, [0.1] * 10),
    ]
    check = _judge(windows, calls_per_update_max={"text.telegram": 2})["calls_per_update.text.telegram"]
    assert check.status is Status.PASS, check
    assert check.detail == (
        "steady max 2 at 0-10 s, limit 2; during faults max 3.5 at 40-50 s "
        "(fault window telegram sendMessage error 40-50 s), limit 4"
    )
    storm = [_window(0, [0.1] * 10), _window(40, [0.1] * 10, telegram=60, in_fault=True), _window(70, [0.1] * 10)]
    check = _judge(storm, calls_per_update_max={"text.telegram": 2})["calls_per_update.text.telegram"]
    assert check.status is Status.FAIL and check.figure == 6.0 and check.limit == 4.0
    steady_rise = [_window(0, [0.1] * 10, telegram=25), _window(40, [0.1] * 10)]
    check = _judge(steady_rise, calls_per_update_max={"text.telegram": 2})["calls_per_update.text.telegram"]
    assert check.status is Status.FAIL and check.figure == 2.5


def test_a_budget_for_a_flow_the_run_never_took_passes_saying_so() -> None:
    # voice_failed happens only when speech-to-text fails: a healthy run must still be able to pass.
    check = _judge([_window(0, [0.1] * 10)], calls_per_update_max={"voice_failed.telegram": 4})
    unexercised = check["calls_per_update.voice_failed.telegram"]
    assert unexercised.status is Status.PASS and unexercised.figure is None
    assert unexercised.detail == "no voice_failed updates: this budget was not exercised by the run"


def test_lost_updates_fail_outside_faults_and_say_how_many_were_not_judged() -> None:
    windows = [_window(0, [0.1] * 10, lost=1), _window(40, [0.1] * 4, explained=6, in_fault=True)]
    check = _judge(windows, lost_updates_max=0)["lost_updates"]
    assert check.status is Status.FAIL and check.figure == 1.0
    assert "6 more not completed during injected faults" in check.detail
    assert "0 sent too late to be judged" in check.detail


def _step(index: int, rate: float, *, held: bool) -> KneeStep:
    figures = StepFigures(index, rate, Span(10.0 * index, 10.0 * index + 10), 10, 10, 0, 0.1, ())
    return KneeStep(figures, 0.1, "text", held, () if held else ("webhook p95 900 ms > 500 ms",))


def test_a_knee_runs_unfinished_work_past_the_knee_is_its_figure_and_below_it_is_lost() -> None:
    # Steps of 10 s: 10/s held, 20/s failed alone (a stall), 30/s held, 40/s and 50/s did not hold.
    steps = (_step(0, 10, held=True), _step(1, 20, held=False), _step(2, 30, held=True),
             _step(3, 40, held=False), _step(4, 50, held=False))  # fmt: skip
    knee = Knee(30.0, steps, "knee at 30 updates/s")
    windows = [_window(0, [0.1] * 10), _window(10, [0.1] * 9, lost=1), _window(20, [0.1] * 10),
               _window(30, [0.1] * 5, lost=5), _window(40, [0.1] * 2, lost=8)]  # fmt: skip
    data = RunData({}, load=Span(0.0, 50.0), accounting=Accounting(tuple(windows), 60.0, 0), knee=knee)
    (check,) = [c for c in accounting_checks(data, Thresholds.model_validate({"warmup": "0 s", "lost_updates_max": 0}))
                if c.name == "lost_updates"]  # fmt: skip
    assert check.status is Status.FAIL and check.figure == 1.0, check  # the stall's, below the knee
    assert "13 more not completed in the steps past the knee (from 30 s" in check.detail, check.detail
    held = RunData({}, load=Span(0.0, 50.0), accounting=Accounting(tuple(windows[2:]), 60.0, 0), knee=knee)
    (check,) = [c for c in accounting_checks(held, Thresholds.model_validate({"warmup": "0 s", "lost_updates_max": 0}))
                if c.name == "lost_updates"]  # fmt: skip
    assert check.status is Status.PASS and check.figure == 0.0, check


def test_the_flow_table_keeps_the_steady_state_and_fault_windows_apart() -> None:
    windows = [_window(0, [0.1] * 10), _window(40, [0.1] * 4, telegram=35, explained=6, in_fault=True),
               _window(70, [0.1] * 10), _window(0, [0.01] * 5, flow="local", telegram=5)]  # fmt: skip
    rows = {(r.flow, r.part): r for r in flow_rows(Accounting(tuple(windows), 60.0, 0), judged_from_s=0.0)}
    assert set(rows) == {("text", STEADY), ("text", FAULTED), ("local", STEADY)}
    steady, faulted = rows[("text", STEADY)], rows[("text", FAULTED)]
    assert (steady.updates, steady.completed, steady.per_update()) == (20, 20, {"cursor_runner": 1.0, "telegram": 2.0})
    assert (faulted.updates, faulted.explained, faulted.per_update()["telegram"]) == (10, 6, 3.5)
    assert steady.p95_s is not None and 0.1 <= steady.p95_s < 0.125


def test_a_knee_runs_peaks_are_judged_up_to_the_knee_and_the_overload_past_it_is_said() -> None:
    """Past the knee the backlog grows memory and sockets on purpose: a peak there is the knee's
    figure (said in the evidence), one below the knee fails as on any run."""
    steps = (_step(0, 10, held=True), _step(1, 20, held=True), _step(2, 30, held=False), _step(3, 40, held=False))
    knee = Knee(20.0, steps, "knee at 20 updates/s")
    t_s = np.arange(0.0, 60.0, 1.0)
    rss = np.where(t_s < 20, 100e6, np.where(t_s < 40, 300e6, 900e6))  # MB: 100, 300 up to the knee; 900 past it
    data = RunData({Metric.RSS_BYTES: Curve(t_s, rss)}, load=Span(0.0, 40.0), cooldown=Span(40.0, 60.0), knee=knee)
    limits = Thresholds.model_validate({"warmup": "0 s", "rss_max": "500 MB"})
    (check,) = [c for c in evaluate_rules(data, limits) if c.name == "rss_max"]
    assert check.status is Status.PASS and check.figure == 300e6, check
    assert "from 20 s on, past the knee" in check.detail and "peak 858 MiB" in check.detail, check.detail
    tight = Thresholds.model_validate({"warmup": "0 s", "rss_max": "200 MB"})
    (check,) = [c for c in evaluate_rules(data, tight) if c.name == "rss_max"]
    assert check.status is Status.FAIL and check.figure == 300e6, check
