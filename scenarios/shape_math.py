"""Load shapes as pure functions of elapsed time (no Locust import, so tests can use them).

steady: `users` throughout. ramp: `users` rising linearly to `peak_users` over `ramp_s`, then
held. spike: `users`, with `peak_users` between `spike_at_s` and `spike_at_s + spike_s`.
Every shape ends at `duration_s`: the load stops by itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

ShapeKind = Literal["steady", "ramp", "spike"]


@dataclass(frozen=True)
class ShapeSpec:
    kind: ShapeKind
    users: int
    duration_s: float
    spawn_rate: float
    peak_users: int = 0
    ramp_s: float = 0.0
    spike_at_s: float = 0.0
    spike_s: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ShapeSpec:
        return cls(**json.loads(text))


def target_users(spec: ShapeSpec, elapsed_s: float) -> int | None:
    """How many users should run at elapsed_s; None once the load is over."""
    if elapsed_s >= spec.duration_s:
        return None
    if spec.kind == "ramp":
        if spec.ramp_s <= 0 or elapsed_s >= spec.ramp_s:
            return spec.peak_users
        return max(1, round(spec.users + (spec.peak_users - spec.users) * elapsed_s / spec.ramp_s))
    if spec.kind == "spike" and spec.spike_at_s <= elapsed_s < spec.spike_at_s + spec.spike_s:
        return spec.peak_users
    return spec.users


def spawn_rate_for(spec: ShapeSpec) -> float:
    """A spike has to arrive at once to be a spike; other shapes spawn at the profile's rate."""
    if spec.kind == "spike":
        return float(max(spec.spawn_rate, spec.peak_users))
    return spec.spawn_rate
