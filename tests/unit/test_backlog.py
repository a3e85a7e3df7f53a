"""A service that fell behind its steady load: growth of what it holds with its backlog is judged
after the cool-down, as on a load that rose; a healthy service's windows are judged as ever."""

from __future__ import annotations

import numpy as np

from harness.analysis import rules
from harness.analysis.backlog import fell_behind, in_flight
from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow, latency_bucket
from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.verdict import judge
from harness.config import Thresholds

RATE_PER_S, WINDOW_S, LOAD_END_S, END_S = 20, 10, 300, 330


def _window(start_s: float, completed_in_s: float | None) -> FlowWindow:
    """200 updates sent in 10 s, all completed in completed_in_s, or none completed (None)."""
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    updates = RATE_PER_S * WINDOW_S
    if completed_in_s is not None:
        counts[latency_bucket(completed_in_s)] = updates
    done = updates if completed_in_s is not None else 0
    return FlowWindow("text", Span(start_s, start_s + WINDOW_S), updates, done, updates - done, 0, {}, done, done, 0,
                      tuple(counts))  # fmt: skip


def _accounting(behind_from_s: float | None) -> Accounting:
    windows = [_window(float(s), None if behind_from_s is not None and s >= behind_from_s else 0.07)
               for s in range(0, LOAD_END_S, WINDOW_S)]  # fmt: skip
    return Accounting(tuple(windows), timeout_s=10.0, updates_total=sum(w.updates for w in windows))


def test_a_service_keeping_up_is_not_behind() -> None:
    accounting = _accounting(behind_from_s=None)
    assert fell_behind(accounting, Span(30.0, 300.0)) is None
    assert in_flight(list(accounting.windows), 300.0) == 0


def test_a_service_that_stopped_completing_its_updates_fell_behind() -> None:
    accounting = _accounting(behind_from_s=100.0)
    behind = fell_behind(accounting, Span(30.0, 300.0))
    assert behind is not None
    assert "0 updates in flight" in behind.why and "4,000 at its end" in behind.why  # 200 s x 20/s


def _data(accounting: Accounting, keys: np.ndarray, calls_per_s: np.ndarray) -> RunData:
    t_s = np.arange(0.0, float(END_S))
    curves = {rules.PENDING_RECORDS: Curve(t_s, keys), rules.REQUESTS: Curve(t_s, np.cumsum(calls_per_s))}
    return RunData(curves, load=Span(0.0, LOAD_END_S), baseline=Span(-1.0, 0.0), cooldown=Span(LOAD_END_S, END_S),
                   accounting=accounting)  # fmt: skip


LIMITS = Thresholds.model_validate({"redis_keys_growth_max": 100, "warmup": "30 s", "window": "10 s",
                                    "recovery_window": "5 s"})  # fmt: skip


def _keys_growth(data: RunData) -> Check:
    return next(c for c in judge(data, LIMITS).checks if c.name == "redis_keys_growth")


def test_pending_records_of_a_backlog_still_draining_are_inconclusive_and_kept_ones_fail() -> None:
    """Measured on the reference bot held to a tenth of a CPU: pending records rose from 71 to 802
    with 1,760 updates in flight, and redis_keys_growth failed a service that kept nothing."""
    accounting = _accounting(behind_from_s=100.0)
    keys = np.concatenate([np.zeros(100), np.linspace(0, 4000, 200), np.full(30, 3800.0)])
    draining = np.concatenate([np.full(LOAD_END_S, 20.0), np.full(END_S - LOAD_END_S, 20.0)])
    check = _keys_growth(_data(accounting, keys, draining))
    assert check.status is Status.INCONCLUSIVE, check
    assert "the service fell behind" in check.detail and "still in flight" in check.detail
    # Done before the end of the cool-down and every record gone: nothing kept.
    done = np.concatenate([np.full(LOAD_END_S, 20.0), np.zeros(END_S - LOAD_END_S)])
    drained = np.concatenate([keys[:LOAD_END_S], np.zeros(END_S - LOAD_END_S)])
    assert _keys_growth(_data(accounting, drained, done)).status is Status.PASS
    # Done, and 3,800 records left behind: a leak, whatever the backlog was.
    check = _keys_growth(_data(accounting, keys, done))
    assert check.status is Status.FAIL and check.figure == 3800


def test_a_service_keeping_up_is_judged_on_its_windows_as_ever() -> None:
    keys = np.concatenate([np.zeros(30), np.linspace(0, 500, 270), np.full(30, 500.0)])
    calls = np.concatenate([np.full(LOAD_END_S, 20.0), np.zeros(END_S - LOAD_END_S)])
    check = _keys_growth(_data(_accounting(behind_from_s=None), keys, calls))
    assert check.status is Status.FAIL and "fell behind" not in check.detail
