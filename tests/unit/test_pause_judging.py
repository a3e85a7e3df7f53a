"""soak's own pauses of the target are judged apart: a spike only in a pause and its backlog passes
naming the pause, a spike outside fails, a run where every window met a pause is inconclusive."""

from __future__ import annotations

import numpy as np

from harness.analysis.amplification import calls_per_update_max
from harness.analysis.flow_checks import accounting_checks
from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow, latency_bucket
from harness.analysis.load_checks import latency_p95
from harness.analysis.model import Check, Curve, Pause, RunData, Span, Status
from harness.analysis.notes import pause_notes
from harness.analysis.pauses import backlog_s, pause_near
from harness.analysis.rising_load import load_rise
from harness.analysis.rules import evaluate_rules
from harness.config import Thresholds
from vocab.events import PauseCause
from vocab.metrics import Metric

CENSUS = Pause(PauseCause.LISTENER_CENSUS, Span(133.0, 139.0))  # 6 s: its backlog runs to 151 s
LIMITS = {"warmup": "0 s", "window": "10 s", "e2e_latency_p95_max": "2 s"}


def _window(start_s: float, latency_s: float, completed: int = 40) -> FlowWindow:
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    counts[latency_bucket(0.05)] += completed - 4
    counts[latency_bucket(latency_s)] += 4  # 10 % of the window: the p95 is this
    return FlowWindow("text", Span(start_s, start_s + 10.0), completed, completed, 0, 0,
                      {"telegram.sendMessage": completed}, completed, completed, 0, tuple(counts))  # fmt: skip


def _e2e(windows: list[FlowWindow], pauses: tuple[Pause, ...]) -> Check:
    accounting = Accounting(tuple(windows), 20.0, sum(w.updates for w in windows))
    data = RunData({}, load=Span(100.0, 200.0), pauses=pauses, accounting=accounting)
    checks = accounting_checks(data, Thresholds.model_validate(LIMITS))
    return next(check for check in checks if check.name == "e2e_latency_p95.text")


def test_the_backlog_of_a_pause_is_twice_its_length_and_at_least_a_window() -> None:
    assert backlog_s(CENSUS, 10.0) == 12.0
    assert backlog_s(Pause(PauseCause.FORCED_GC, Span(50.0, 50.2)), 10.0) == 10.0
    assert pause_near(Span(150.0, 160.0), (CENSUS,), 10.0) is CENSUS  # 151 s: still the backlog
    assert pause_near(Span(151.5, 160.0), (CENSUS,), 10.0) is None
    assert pause_near(Span(120.0, 133.0), (CENSUS,), 10.0) is None  # before it


def test_a_spike_only_in_a_pause_and_its_backlog_passes_naming_the_pause() -> None:
    windows = [_window(100.0 + 10 * i, 0.1) for i in range(10)]
    windows[3] = _window(130.0, 3.85)  # the pause's window
    windows[4] = _window(140.0, 2.5)  # its backlog
    check = _e2e(windows, (CENSUS,))
    assert check.status is Status.PASS, check.detail
    assert check.figure is not None and check.figure < 0.2
    assert "listener_census at 133 s, 6.0 s" in check.detail and "judged apart" in check.detail
    # Without the pause, the same data fails on that window: the pause is what made it pass.
    unpaused = _e2e(windows, ())
    assert unpaused.status is Status.FAIL and "130-140 s" in unpaused.detail


def test_a_spike_outside_the_pauses_still_fails() -> None:
    windows = [_window(100.0 + 10 * i, 0.1) for i in range(10)]
    windows[3] = _window(130.0, 3.85)
    windows[8] = _window(180.0, 2.9)  # 29 s after the pause ended: the service's own
    check = _e2e(windows, (CENSUS,))
    assert check.status is Status.FAIL
    assert check.peak_span == Span(180.0, 190.0)
    assert "listener_census at 133 s" in check.detail  # the pause's window is still shown, apart


def test_a_pause_too_short_to_explain_the_spike_sets_nothing_apart() -> None:
    # A 150 ms forced GC cannot make a 2 s p95 out of 50 ms answers: the window stays judged.
    windows = [_window(100.0 + 10 * i, 0.1) for i in range(10)]
    windows[3] = _window(130.0, 3.85)
    check = _e2e(windows, (Pause(PauseCause.FORCED_GC, Span(133.0, 133.15)),))
    assert check.status is Status.FAIL and check.peak_span == Span(130.0, 140.0)
    assert "judged apart" not in check.detail


def test_every_window_in_a_pause_is_inconclusive_naming_the_pauses() -> None:
    pauses = (
        Pause(PauseCause.HEAP_SNAPSHOT, Span(100.0, 104.0)),
        Pause(PauseCause.LISTENER_CENSUS, Span(110.0, 116.0)),
    )
    check = _e2e([_window(100.0, 3.0), _window(110.0, 0.1), _window(120.0, 0.1)], pauses)
    assert check.status is Status.INCONCLUSIVE
    assert "every judged window touched one" in check.detail
    assert "heap_snapshot at 100 s, 4.0 s" in check.detail and "listener_census at 110 s, 6.0 s" in check.detail


def _latency_data(pauses: tuple[Pause, ...], slow_at_s: float) -> RunData:
    """Webhook answers at 40 updates/s: 50 ms, except 6 s for the 240 sent in 6 s from slow_at_s."""
    t_s = np.arange(100.0, 200.0, 0.025)
    latency_s = np.where((t_s >= slow_at_s) & (t_s < slow_at_s + 6.0), 6.0, 0.05)
    return RunData({}, load=Span(100.0, 200.0), pauses=pauses, answer_latency=Curve(t_s, latency_s))


def test_webhook_latency_leaves_requests_held_by_a_pause_apart() -> None:
    limits = Thresholds.model_validate({"warmup": "0 s", "latency_p95_max": "250 ms"})
    held = latency_p95(_latency_data((CENSUS,), slow_at_s=133.0), limits)
    assert held is not None and held.status is Status.PASS, held
    assert "judged apart" in held.detail and "listener_census at 133 s" in held.detail
    own = latency_p95(_latency_data((CENSUS,), slow_at_s=170.0), limits)
    assert own is not None and own.status is Status.FAIL, own


def test_loop_delay_and_close_wait_samples_in_a_pause_are_judged_apart() -> None:
    census = Pause(PauseCause.LISTENER_CENSUS, Span(129.0, 135.0))
    t_s = np.arange(100.0, 200.0, 2.0)
    stalled = (t_s >= 130.0) & (t_s <= 140.0)  # held through the window 130-140 s
    delay_s, close_wait = np.where(stalled, 1.35, 0.02), np.where(stalled, 13.0, 0.0)
    curves = {Metric.LOOP_DELAY_P99_S: Curve(t_s, delay_s), Metric.TCP_CLOSE_WAIT: Curve(t_s, close_wait)}
    limits = Thresholds.model_validate({"warmup": "0 s", "loop_delay_p99_max": "500 ms", "tcp_close_wait_max": 0})

    def judged(pauses: tuple[Pause, ...]) -> dict[str, Check]:
        data = RunData(curves, load=Span(100.0, 200.0), pauses=pauses)
        return {check.name: check for check in evaluate_rules(data, limits)}

    paused = judged((census,))
    assert paused["loop_delay_p99"].status is Status.PASS and "listener_census" in paused["loop_delay_p99"].detail
    assert paused["tcp_close_wait"].status is Status.PASS and "judged apart" in paused["tcp_close_wait"].detail
    unpaused = judged(())
    assert unpaused["loop_delay_p99"].status is Status.FAIL and unpaused["tcp_close_wait"].status is Status.FAIL


def test_the_notes_count_the_pauses_by_cause() -> None:
    gc = Pause(PauseCause.FORCED_GC, Span(50.0, 50.2))
    (note,) = pause_notes((CENSUS, gc))
    assert note.startswith("soak paused the target 2 times, 6.2 s in all")
    assert "forced_gc 1 x (longest 0.20 s), listener_census 1 x (longest 6.00 s)" in note
    assert pause_notes(()) == []


def _cumulative(rates: dict[tuple[int, int], float], length_s: int = 150) -> Curve:
    """Cumulative counts at 20/s, at another rate per second in the given [start, end) seconds."""
    values, total = [], 0.0
    for second in range(length_s):
        values.append(total)
        total += next((rate for (a, b), rate in rates.items() if a <= second < b), 20.0)
    return Curve(np.arange(float(length_s)), values)


def test_calls_per_update_windows_caught_up_after_a_pause_are_judged_apart() -> None:
    # Stalled 60-66 s: nothing sent, nothing called; then the held calls land with the new ones.
    updates = _cumulative({(60, 66): 0.0})
    calls = _cumulative({(60, 66): 0.0, (66, 72): 40.0})
    limits = Thresholds.model_validate(
        {"warmup": "10 s", "work_window": "10 s", "upstream_calls_per_update_max": {"telegram": 1.25}}
    )
    pause = Pause(PauseCause.HEAP_SNAPSHOT, Span(60.0, 66.0))

    def check(pauses: tuple[Pause, ...], bursts: Curve) -> Check:
        data = RunData({"load.updates_total": updates}, load=Span(0.0, 149.0), pauses=pauses,
                       calls={"telegram.sendMessage": bursts})  # fmt: skip
        return calls_per_update_max(data, limits)[0]

    assert check((), calls).status is Status.FAIL
    apart = check((pause,), calls)
    assert apart.status is Status.PASS and "heap_snapshot at 60 s, 6.0 s" in apart.detail, apart.detail
    # A burst well after the pause is the service's own.
    late = _cumulative({(60, 66): 0.0, (66, 72): 20.0, (120, 126): 40.0})
    assert check((pause,), late).status is Status.FAIL


def test_a_closed_load_held_up_by_a_pause_at_the_start_is_no_rise() -> None:
    # Nothing sent while a snapshot stopped the target 60-80 s, then the usual 20/s: the judged span
    # opens in the stall, which read as a load rising from 12.5 to 20/s and sent growth checks to the
    # cool-down.
    updates = _cumulative({(60, 80): 0.0}, length_s=190)
    judged = Span(65.0, 185.0)
    snapshot = (Pause(PauseCause.HEAP_SNAPSHOT, Span(60.0, 80.0)),)
    assert load_rise(None, updates, judged, 10.0) is not None
    assert load_rise(None, updates, judged, 10.0, snapshot) is None
    rising = _cumulative({(60, 80): 0.0, (80, 110): 8.0}, length_s=190)  # and a real rise after it stays one
    assert load_rise(None, rising, judged, 10.0, snapshot) is not None


def test_users_firing_in_step_around_census_pauses_are_a_steady_load() -> None:
    # 20 users at 0.25/s send 20 updates every 4 s; a census stops the target ~2 s every 10 s and
    # the users catch up after it. One 5 s window's rate reads 0, 4 or 8/s; the load is 5/s.
    t_s = np.arange(0.0, 90.0)
    in_step = np.floor(t_s / 4.0) * 20.0
    bursts = in_step + np.where((t_s % 10.0) >= 7.0, 10.0, 0.0) - np.where((t_s % 10.0) < 2.0, 10.0, 0.0)
    censuses = tuple(Pause(PauseCause.LISTENER_CENSUS, Span(s, s + 2.0)) for s in range(10, 90, 10))
    judged = Span(17.0, 84.6)
    assert load_rise(None, Curve(t_s, np.maximum.accumulate(bursts)), judged, 5.0, censuses) is None
    ramp = np.cumsum(np.where(t_s < 50.0, 4.0, 9.0))  # 4/s, then 9/s: a locustfile of the user's own
    assert load_rise(None, Curve(t_s, ramp), judged, 5.0, censuses) is not None
