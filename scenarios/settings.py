"""What the profile's [load] tells the Locust processes, as one JSON document (no Locust import).

The harness writes it into SOAK_LOAD for the master (or the single process); Locust's master hands
it to every worker, remote ones included, as the custom option --soak-load (scenarios/hooks.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from scenarios.kinds import BAD_INPUT_KINDS
from scenarios.shape_math import ShapeSpec

ENV = "SOAK_LOAD"


@dataclass(frozen=True)
class KneeLimits:
    """The limits a knee step must hold (the profile's thresholds); None: not judged."""

    error_ratio_max: float | None = None
    latency_p95_max_s: float | None = None
    settle_s: float = 2.0  # after a step ends, how long its last answers may take to reach the master
    # End to end, from the mocks' call records (scenarios/knee_e2e.py); judged live when both are set.
    e2e_latency_p95_max_s: float | None = None
    calls_path: str = ""  # the mocks' upstream-calls.jsonl, on the master's machine
    results_by_callback: bool = True  # False: cursor-runner "sync", the job's answer is the result


@dataclass(frozen=True)
class LoadSettings:
    shape: ShapeSpec
    webhook_secret: str = ""
    rate_per_user: float = 1.0  # closed models: updates/s per user
    mix: dict[str, float] = field(default_factory=dict)
    new_chat_share: float = 0.0  # share of updates from a chat never seen before
    chat_pool: int = 0  # chats the users share; 0: one chat per user, for ever
    file_reuse_share: float = 0.5  # share of voice updates re-sending a file sent before
    bad_input_share: float = 0.0  # share of webhook requests that are bad input
    bad_input_mix: dict[str, float] = field(default_factory=lambda: dict.fromkeys(BAD_INPUT_KINDS, 1.0))
    knee: KneeLimits = field(default_factory=KneeLimits)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadSettings:
        data: dict[str, Any] = json.loads(text)
        shape = ShapeSpec(**data.pop("shape"))
        knee = KneeLimits(**data.pop("knee", {}))
        return cls(shape=shape, knee=knee, **data)


def default_settings() -> LoadSettings:
    """For a scenario run by hand, without soak: one user, steady, an hour at most."""
    return LoadSettings(shape=ShapeSpec("steady", users=1, duration_s=3600.0, spawn_rate=1.0))
