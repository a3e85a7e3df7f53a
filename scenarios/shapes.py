"""The Locust shape class that plays a ShapeSpec handed over in SOAK_SHAPE (JSON)."""

from __future__ import annotations

import os

from locust import LoadTestShape

from scenarios.shape_math import ShapeSpec, spawn_rate_for, target_users


class SoakShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.spec = ShapeSpec.from_json(os.environ["SOAK_SHAPE"])

    def tick(self) -> tuple[int, float] | None:
        users = target_users(self.spec, self.get_run_time())  # type: ignore[no-untyped-call]
        if users is None:
            return None
        return users, spawn_rate_for(self.spec)
