"""Timed checks failing on a starved machine are inconclusive, with why; elsewhere they fail."""

from __future__ import annotations

import numpy as np

from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.starved import STARVED_LOAD_PER_CORE, with_starvation
from vocab.metrics import Metric


def _data(load_per_core: np.ndarray) -> RunData:
    t_s = np.arange(0.0, float(load_per_core.size))
    return RunData({Metric.LOAD_PER_CORE: Curve(t_s, load_per_core)}, load=Span(0.0, float(load_per_core.size)))


def _failed(name: str, peak: Span) -> Check:
    return Check(name, Status.FAIL, 231.0, 0.0, "updates", Span(0.0, 900.0), "231 lost", peak_span=peak)


def test_work_lost_while_the_machine_ran_many_tasks_per_core_is_inconclusive_with_why() -> None:
    """benign-gc-lazy (matrix): 231 updates lost at minute 10 with the load average at 20-26 on 2
    cores, other test suites running; the same bot lost none on a quieter machine."""
    load = np.full(900, 1.5)
    load[600:660] = 11.0  # other suites start: 22 runnable tasks on 2 cores
    data = _data(load)
    lost, e2e = _failed("lost_updates", Span(595.0, 625.0)), _failed("e2e_latency_p95.text", Span(595.0, 625.0))
    rss = _failed("rss_max", Span(595.0, 625.0))
    judged = {check.name: check for check in with_starvation((lost, e2e, rss), data)}
    assert judged["lost_updates"].status is Status.INCONCLUSIVE
    assert "11.0 runnable tasks per core" in judged["lost_updates"].detail
    assert judged["e2e_latency_p95.text"].status is Status.INCONCLUSIVE
    assert judged["rss_max"].status is Status.FAIL  # memory is no time figure: judged as ever
    quiet = {check.name: check for check in with_starvation((_failed("lost_updates", Span(100.0, 130.0)),), data)}
    assert quiet["lost_updates"].status is Status.FAIL and load[100:200].max() < STARVED_LOAD_PER_CORE


def test_without_the_machines_load_recorded_checks_stand() -> None:
    data = RunData({}, load=Span(0.0, 900.0))
    (check,) = with_starvation((_failed("lost_updates", Span(595.0, 625.0)),), data)
    assert check.status is Status.FAIL
