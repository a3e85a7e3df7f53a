"""Running Locust headless in its own process (it monkey-patches with gevent on import); the
load shape travels to it as JSON and the shape class there stops the load at the duration."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from harness.config import LoadSection
from harness.procs import Child, HarnessError, start_child
from scenarios.shape_math import ShapeSpec

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
# Modules in scenarios/ that hold shared pieces, not a scenario of their own.
UPDATES_FILE = "updates.jsonl"  # every update sent (scenarios/update_log.py)
_NOT_SCENARIOS = frozenset({"__init__", "payloads", "shapes", "shape_math", "kinds", "update_log", "bounded_stats"})


def locustfile_for(scenario: str) -> Path:
    path = SCENARIOS_DIR / f"{scenario}.py"
    if scenario in _NOT_SCENARIOS or not path.is_file():
        known = sorted(p.stem for p in SCENARIOS_DIR.glob("*.py") if p.stem not in _NOT_SCENARIOS)
        raise HarnessError(f"unknown scenario {scenario!r}; known: {', '.join(known)}")
    return path


def shape_spec(load: LoadSection, duration_s: float) -> ShapeSpec:
    """The profile's load shape, for the shape class inside the Locust process."""
    return ShapeSpec(
        kind=load.shape,
        users=load.users,
        duration_s=duration_s,
        spawn_rate=load.spawn_rate,
        peak_users=load.peak_users or load.users,
        ramp_s=load.ramp_s,
        spike_at_s=load.spike_at_s,
        spike_s=load.spike_s,
    )


def start_locust(load: LoadSection, host: str, duration_s: float, run_dir: Path, webhook_secret: str) -> Child:
    out_dir = run_dir / "locust"
    out_dir.mkdir(exist_ok=True)
    argv = [
        sys.executable, "-m", "locust",
        "-f", str(locustfile_for(load.scenario)),
        "--headless",
        "--host", host,
        "--stop-timeout", "5",
        "--csv", str(out_dir / "locust"),
        "--csv-full-history",
        "--only-summary",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = dict(os.environ)
    env.update(
        {
            "SOAK_WEBHOOK_SECRET": webhook_secret,
            "SOAK_RATE_PER_USER": str(load.rate_per_user),
            "SOAK_SHAPE": shape_spec(load, duration_s).to_json(),
            "SOAK_MIX": json.dumps(load.mix),
            "PYTHONPATH": str(SCENARIOS_DIR.parent),
            "SOAK_UPDATES_FILE": str(run_dir / UPDATES_FILE),
        }
    )
    return start_child("locust", argv, env=env, log_path=run_dir / "locust.log")
