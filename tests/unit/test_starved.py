"""Timed checks failing on a starved machine are inconclusive, with why; elsewhere they fail."""

from __future__ import annotations

import numpy as np

from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.starved import STARVED_LOAD_PER_CORE, with_starvation
from vocab.metrics import MOCKS_ROLE, TARGET_ROLE, Metric, main_thread_run, main_thread_wait


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


def _main_threads(role: str, wait: np.ndarray, run: np.ndarray) -> RunData:
    t_s = np.arange(0.0, float(wait.size))
    curves = {main_thread_wait(role): Curve(t_s, wait), main_thread_run(role): Curve(t_s, run)}
    return RunData(curves, load=Span(0.0, float(wait.size)))


def test_work_lost_while_the_targets_main_thread_waited_for_a_cpu_is_inconclusive_with_why() -> None:
    """Where the load average says nothing (a container's CPU quota, a many-core host), the target's
    own wait for a CPU does: a lost-update window in which it waited longer than it ran."""
    wait, run = np.full(900, 0.05), np.full(900, 0.2)
    wait[610:640] = 0.6  # runnable but waiting 0.6 s in every second, running 0.2
    data = _main_threads(TARGET_ROLE, wait, run)
    (lost,) = with_starvation((_failed("lost_updates", Span(595.0, 625.0)),), data)
    assert lost.status is Status.INCONCLUSIVE
    assert "waited for a CPU 0.60 s per second and ran 0.20 s" in lost.detail
    (quiet,) = with_starvation((_failed("lost_updates", Span(100.0, 130.0)),), data)
    assert quiet.status is Status.FAIL


def test_a_busy_target_that_waits_less_than_it_runs_still_fails() -> None:
    """A service slow on its own CPU work runs most of the time: its wait is no starvation."""
    wait, run = np.full(900, 0.3), np.full(900, 0.9)
    (e2e,) = with_starvation(
        (_failed("e2e_latency_p95.text", Span(595.0, 625.0)),), _main_threads(TARGET_ROLE, wait, run)
    )
    assert e2e.status is Status.FAIL
    light_wait, light_run = np.full(900, 0.15), np.full(900, 0.05)  # waits more than it runs, but briefly
    (e2e,) = with_starvation(
        (_failed("e2e_latency_p95.text", Span(595.0, 625.0)),), _main_threads(TARGET_ROLE, light_wait, light_run)
    )
    assert e2e.status is Status.FAIL


def test_work_late_while_soaks_own_mocks_had_no_time_to_spare_is_inconclusive_with_why() -> None:
    """The mocks answer the target and send its callbacks: an event loop of theirs busy all the time
    makes the service look slow, however well it runs."""
    wait, run = np.full(900, 0.02), np.full(900, 0.3)
    run[600:640] = 0.93  # the mocks' loop never idle
    data = _main_threads(MOCKS_ROLE, wait, run)
    (e2e,) = with_starvation((_failed("e2e_latency_p95.text", Span(595.0, 625.0)),), data)
    assert e2e.status is Status.INCONCLUSIVE
    assert "soak's own mocks' event loop was runnable 0.95 s per second" in e2e.detail
    (quiet,) = with_starvation((_failed("e2e_latency_p95.text", Span(100.0, 130.0)),), data)
    assert quiet.status is Status.FAIL


def test_a_locust_worker_starved_makes_its_timings_inconclusive_and_the_harness_itself_does_not() -> None:
    wait, run = np.full(900, 0.6), np.full(900, 0.2)  # starved, not saturated: runnable 0.8 s/s
    (latency,) = with_starvation(
        (_failed("latency_p95", Span(595.0, 625.0)),), _main_threads("locust_worker_1", wait, run)
    )
    assert latency.status is Status.INCONCLUSIVE and "locust_worker_1" in latency.detail
    # soak's own runner and collector neither answer the target nor time it.
    (latency,) = with_starvation((_failed("latency_p95", Span(595.0, 625.0)),), _main_threads("harness", wait, run))
    assert latency.status is Status.FAIL
