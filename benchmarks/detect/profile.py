"""The profile every cell of the detection matrix runs: the shipped nightly profile's limits
(profiles/soak.toml, as a user gets them) at 20 updates/s of mixed traffic, with judging windows
short enough to decide within minutes, and the cell's leak switch."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOAK_PROFILE = ROOT / "profiles" / "soak.toml"
UPDATES_PER_S = 20.0
USERS = 20
# soak.toml's cursor-runner answers in ~2.4 s on average (lognormal): at 20 updates/s, 3 in 4
# forwarded, that is ~37 jobs at once, over its 32 slots (sized for 10 updates/s).
CURSOR_RUNNER_SLOTS = 64


@dataclass(frozen=True)
class Timing:
    """Judging timing, the only limits not taken from soak.toml: its 10 min warm-up and 30 windows
    of a minute cannot decide anything before the 40th minute, by construction."""

    warmup: str
    window: str
    min_windows: int
    work_window: str
    recovery_window: str
    forced_gc_every: str  # memory after GC: a few readings per window (each a pause of tens of ms)
    listener_census_every: str
    baseline: str
    cooldown: str
    checkpoint_every_s: float  # the load is judged as if it had stopped every this often
    updates_per_s: float = UPDATES_PER_S

    def thresholds(self) -> dict[str, Any]:
        return {
            "warmup": self.warmup,
            "window": self.window,
            "min_windows": self.min_windows,
            "work_window": self.work_window,
            "recovery_window": self.recovery_window,
        }

    def collector(self) -> dict[str, Any]:
        return {
            "forced_gc_every": self.forced_gc_every,
            "inspector_every": self.forced_gc_every,
            "listener_census_every": self.listener_census_every,
            # Snapshots are evidence, never a verdict: their pauses would only slow the cells down.
            "heap_snapshots": "off",
        }


FULL = Timing(
    warmup="1 min",
    # Windows of 10 s: six in the first 2 min after the warm-up, enough for a trend to be significant.
    window="10 s",
    min_windows=8,
    work_window="30 s",
    recovery_window="30 s",
    forced_gc_every="5 s",
    listener_census_every="1 min",
    baseline="20 s",
    cooldown="90 s",
    checkpoint_every_s=60.0,
)

# The short matrix (tests/e2e): high leak rates found within a minute or so of load, its four cells
# at once at a quarter of the rate each (one cell's load on the machine).
SHORT = Timing(
    warmup="10 s",
    window="5 s",
    min_windows=8,
    work_window="15 s",
    recovery_window="10 s",
    forced_gc_every="2500 ms",
    listener_census_every="10 s",
    baseline="5 s",
    cooldown="30 s",  # in-flight cursor-runner jobs (seconds each) and idle keep-alive sockets end
    checkpoint_every_s=15.0,
    updates_per_s=UPDATES_PER_S / 4,
)


def soak_profile() -> dict[str, Any]:
    return tomllib.loads(SOAK_PROFILE.read_text(encoding="utf-8"))


def cell_overrides(
    name: str, env: dict[str, str], load_s: float, results_dir: Path, timing: Timing = FULL
) -> dict[str, Any]:
    """Overrides of soak.toml for one cell (harness.config.parse_profile merges them by section)."""
    base = soak_profile()
    cursor_runner = dict(base.get("mocks", {}).get("cursor_runner", {}))
    cursor_runner["max_concurrent"] = max(int(cursor_runner.get("max_concurrent", 0)), CURSOR_RUNNER_SLOTS)
    return {
        "run": {
            "name": name,
            "duration": f"{load_s:g} s",
            "baseline": timing.baseline,
            "cooldown": timing.cooldown,
            "results_dir": str(results_dir),
        },
        "target": {"env": {**base.get("target", {}).get("env", {}), **env}},
        # Steady state only: soak.toml's fault window (minute 60) is past every cell's end anyway.
        "mocks": {"telegram": {}, "cursor_runner": cursor_runner},
        "load": {"users": USERS, "spawn_rate": USERS, "rate_per_user": timing.updates_per_s / USERS},
        "collector": timing.collector(),
        "thresholds": timing.thresholds(),
    }
