"""How a run ended, from its run.json and whether the soak that wrote it still lives.

A soak killed by SIGKILL writes nothing more: run.json keeps `outcome: "running"` and the
collector, which lives in soak's process, writes no tick after it. So the last tick is the
harness's last heartbeat, and whoever reads the run next marks it killed and judges it up to there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from harness.analysis.partial import RunEnd, RunState
from harness.pidfiles import is_same_process, start_ticks
from harness.rundir import RUN_JSON, write_json

PRIVATE_DIR = "private"  # the run's temp and CA dirs (0700), removed when the run stops
KILLED_CAUSE = "SIGKILL or a crash of soak (it stopped without a word)"


def harness_identity() -> dict[str, int | None]:
    """Who is writing this run: checked by readers to tell a live run from a killed one."""
    return {"pid": os.getpid(), "start_ticks": start_ticks(os.getpid())}


def harness_alive(info: dict[str, Any]) -> bool:
    harness = info.get("harness")
    if not isinstance(harness, dict) or not isinstance(harness.get("pid"), int):
        return False  # written before soak recorded itself: its soak is long gone
    ticks = harness.get("start_ticks")
    return is_same_process(harness["pid"], ticks if isinstance(ticks, int) else None)


def mark_killed(run_dir: Path, info: dict[str, Any], stopped_at_s: float | None) -> None:
    info.update({"outcome": RunState.KILLED.value, "stopped_by": KILLED_CAUSE})
    if stopped_at_s is not None:
        info["stopped_at_s"] = stopped_at_s
    with contextlib.suppress(OSError):  # a read-only copy of a run: judged as killed all the same
        write_json(run_dir / RUN_JSON, info)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_run_end(run_dir: Path, info: dict[str, Any], last_tick_s: float | None) -> RunEnd:
    """How the run ended; marks a run whose soak vanished as killed in its run.json."""
    outcome = info.get("outcome")
    stopped_at_s = _number(info.get("stopped_at_s"))
    cause = info.get("stopped_by")
    if outcome == RunState.RUNNING.value:
        if harness_alive(info):
            return RunEnd(RunState.RUNNING, "still running", last_tick_s)
        mark_killed(run_dir, info, last_tick_s)
        return RunEnd(RunState.KILLED, KILLED_CAUSE, last_tick_s)
    if outcome in (RunState.INTERRUPTED.value, RunState.ERROR.value, RunState.KILLED.value):
        at_s = stopped_at_s if stopped_at_s is not None else last_tick_s
        return RunEnd(RunState(outcome), str(cause or info.get("error") or outcome), at_s)
    return RunEnd(RunState.COMPLETED)


def make_private_dir(run_dir: Path) -> Path:
    """run_dir/private (0700): the target's TMPDIR and the CA's keys live there during the run."""
    private = run_dir / PRIVATE_DIR
    private.mkdir(mode=0o700)
    return private


def remove_private_dir(run_dir: Path) -> None:
    shutil.rmtree(run_dir / PRIVATE_DIR, ignore_errors=True)
