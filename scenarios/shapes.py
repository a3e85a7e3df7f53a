"""The Locust shape class that plays the profile's load model (scenarios/shape_math.py); for a
knee it also judges each step as it ends and stops the load at the first that did not hold."""

from __future__ import annotations

import os

from locust import LoadTestShape

from scenarios import runtime
from scenarios.knee_live import KneeTracker, write_step
from scenarios.shape_math import ShapeSpec, spawn_rate_for, target_users

KNEE_FILE_ENV = "SOAK_KNEE_FILE"


class SoakShape(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        state = runtime.current()
        spec = state.settings.shape
        elapsed_s = self.get_run_time()  # type: ignore[no-untyped-call]
        if state.knee is not None:
            return _knee_tick(state.knee, spec, elapsed_s)
        users = target_users(spec, elapsed_s)
        return None if users is None else (users, spawn_rate_for(spec))


def _knee_tick(knee: KneeTracker, spec: ShapeSpec, elapsed_s: float) -> tuple[int, float] | None:
    while knee.due(elapsed_s):
        result = knee.judge_next()
        write_step(os.environ.get(KNEE_FILE_ENV), result)
        if not result.held:
            return None
    if knee.finished(elapsed_s):
        return None
    return spec.users, spawn_rate_for(spec)
