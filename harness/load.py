"""Running Locust headless in its own process (it monkey-patches with gevent on import)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harness.config import LoadSection
from harness.procs import Child, HarnessError, start_child

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def locustfile_for(scenario: str) -> Path:
    path = SCENARIOS_DIR / f"{scenario}.py"
    if not path.is_file():
        known = sorted(p.stem for p in SCENARIOS_DIR.glob("*.py") if not p.stem.startswith("_"))
        raise HarnessError(f"unknown scenario {scenario!r}; known: {', '.join(known)}")
    return path


def start_locust(load: LoadSection, host: str, duration_s: float, run_dir: Path, webhook_secret: str) -> Child:
    out_dir = run_dir / "locust"
    out_dir.mkdir(exist_ok=True)
    argv = [
        sys.executable, "-m", "locust",
        "-f", str(locustfile_for(load.scenario)),
        "--headless",
        "--host", host,
        "--users", str(load.users),
        "--spawn-rate", str(load.spawn_rate),
        "--run-time", f"{max(1, round(duration_s))}s",
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
            "PYTHONPATH": str(SCENARIOS_DIR.parent),
        }
    )
    return start_child("locust", argv, env=env, log_path=run_dir / "locust.log")
