"""The Locust shape class that plays the profile's load model (scenarios/shape_math.py); for a
knee it also judges each step as it ends and stops the load at the first that did not hold."""

from __future__ import annotations

import os
import time

import gevent
from locust import LoadTestShape
from locust.runners import MasterRunner

from scenarios import runtime
from scenarios.knee_live import KneeTracker, write_step
from scenarios.shape_math import ShapeSpec, spawn_rate_for, target_users

KNEE_FILE_ENV = "SOAK_KNEE_FILE"
READY_GRACE_S = 5.0  # beyond a worker's stop timeout, how long it may take to say it is ready again


class SoakShape(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        state = runtime.current()
        spec = state.settings.shape
        elapsed_s = self.get_run_time()  # type: ignore[no-untyped-call]
        if state.knee is not None:
            found = _knee_tick(state.knee, spec, elapsed_s)
        else:
            users = target_users(spec, elapsed_s)
            found = None if users is None else (users, spawn_rate_for(spec))
        if found is None and self.runner is not None:
            self._stop_before_quitting()
        return found

    def _stop_before_quitting(self) -> None:
        """Headless, Locust quits as the shape ends, giving workers 0.5 s for their last statistics.
        A stop first waits until every worker stopped, its records and statistics sent; then the
        master waits for them to be ready again, since it sends its quit only to workers it knows."""
        assert self.runner is not None
        workers = self.runner.worker_count if isinstance(self.runner, MasterRunner) else 0
        self.runner.stop()
        if not isinstance(self.runner, MasterRunner):
            return
        deadline_s = time.monotonic() + (self.runner.environment.stop_timeout or 0) + READY_GRACE_S
        while len(self.runner.clients.ready) < workers and time.monotonic() < deadline_s:
            gevent.sleep(0.2)


def _knee_tick(knee: KneeTracker, spec: ShapeSpec, elapsed_s: float) -> tuple[int, float] | None:
    while knee.due(elapsed_s) and not knee.finished(elapsed_s):
        write_step(os.environ.get(KNEE_FILE_ENV), knee.judge_next())
    if knee.finished(elapsed_s):
        return None
    return spec.users, spawn_rate_for(spec)
