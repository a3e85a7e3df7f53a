"""Load models as pure functions of elapsed time (no Locust import, so the harness and tests use them).

Closed models (a user sends, waits for the answer, sends again): `steady` holds `users`; `ramp`
rises linearly from `users` to `peak_users` over `ramp_s`, then holds; `spike` is `peak_users`
from `spike_at_s` for `spike_s`; `diurnal` is a sine from `users` up to `peak_users` and back,
once per `period_s` (the run's duration by default). A stalled service gets fewer requests.

Open models (updates arrive on a schedule whatever the answers; `users` is only the pool that
sends them): `arrival_rate` sends `rate` updates/s, or a curve from `rate` to `peak_rate`
(`rate_curve` ramp, spike or diurnal, on the same timing fields); `knee` starts at `rate` and adds
`step_rate` every `step_s` up to `peak_rate`. A stalled service shows as latency counted from each
update's scheduled send time, not as fewer updates (coordinated omission).

Every model ends at `duration_s` (a knee also after its last step): the load stops by itself.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Literal

ShapeKind = Literal["steady", "ramp", "spike", "diurnal", "arrival_rate", "knee"]
Curve = Literal["constant", "ramp", "spike", "diurnal"]
OPEN_MODELS = frozenset({"arrival_rate", "knee"})


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
    period_s: float = 0.0  # diurnal: one period of the sine; 0 = the duration
    rate: float = 0.0  # open models: updates/s (the knee's first step)
    peak_rate: float = 0.0  # arrival_rate: the curve's top; knee: the highest step tried
    rate_curve: Curve = "constant"
    step_rate: float = 0.0  # knee: updates/s added per step
    step_s: float = 0.0  # knee: how long each step holds

    @property
    def open_model(self) -> bool:
        return self.kind in OPEN_MODELS

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ShapeSpec:
        return cls(**json.loads(text))


def _level(spec: ShapeSpec, curve: str, low: float, high: float, elapsed_s: float) -> float:
    """A value between low and high at elapsed_s, following curve."""
    if curve == "ramp":
        if spec.ramp_s <= 0 or elapsed_s >= spec.ramp_s:
            return high
        return low + (high - low) * elapsed_s / spec.ramp_s
    if curve == "spike":
        return high if spec.spike_at_s <= elapsed_s < spec.spike_at_s + spec.spike_s else low
    if curve == "diurnal":
        period_s = spec.period_s or spec.duration_s
        # Starts at the trough (night), peaks half a period in (midday).
        return low + (high - low) * (1 - math.cos(2 * math.pi * elapsed_s / period_s)) / 2
    return low


def knee_steps(spec: ShapeSpec) -> int:
    """How many steps a knee plays at most: from rate up to peak_rate, within the duration."""
    if spec.step_rate <= 0 or spec.step_s <= 0:
        return 0
    by_rate = math.floor((spec.peak_rate - spec.rate) / spec.step_rate + 1e-9) + 1
    by_time = math.floor(spec.duration_s / spec.step_s + 1e-9)
    return max(0, min(by_rate, by_time))


def knee_step(spec: ShapeSpec, elapsed_s: float) -> int:
    return math.floor(elapsed_s / spec.step_s) if spec.step_s > 0 else 0


def knee_rate(spec: ShapeSpec, step: int) -> float:
    return spec.rate + spec.step_rate * step


def load_over(spec: ShapeSpec, elapsed_s: float) -> bool:
    if elapsed_s >= spec.duration_s:
        return True
    return spec.kind == "knee" and knee_step(spec, elapsed_s) >= knee_steps(spec)


def target_users(spec: ShapeSpec, elapsed_s: float) -> int | None:
    """How many users should run at elapsed_s (the sending pool in open models); None once over."""
    if load_over(spec, elapsed_s):
        return None
    if spec.open_model or spec.kind == "steady":
        return spec.users
    return max(1, round(_level(spec, spec.kind, spec.users, spec.peak_users, elapsed_s)))


def target_rate(spec: ShapeSpec, elapsed_s: float) -> float:
    """Updates per second an open model sends at elapsed_s (0 for closed models, or once over)."""
    if not spec.open_model or load_over(spec, elapsed_s):
        return 0.0
    if spec.kind == "knee":
        return knee_rate(spec, knee_step(spec, elapsed_s))
    return _level(spec, spec.rate_curve, spec.rate, spec.peak_rate or spec.rate, elapsed_s)


def spawn_rate_for(spec: ShapeSpec) -> float:
    """A spike has to arrive at once to be a spike, and an open model's pool must be there before its
    schedule starts (a missing sender reads as latency); other shapes spawn at the profile's rate."""
    if spec.kind == "spike":
        return float(max(spec.spawn_rate, spec.peak_users))
    if spec.open_model:
        return float(max(spec.spawn_rate, spec.users))
    return spec.spawn_rate
