"""What a killed run left behind, tidied by the next `soak run` under the same results dir: its
children still running (from its pid files), its private folder (temp dir, CA keys), its outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.analysis.partial import RunState
from harness.pidfiles import PIDS_DIR, stop_recorded
from harness.rundir import RUN_JSON
from harness.runstate import PRIVATE_DIR, harness_alive, mark_killed, remove_private_dir


def _read_info(run_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((run_dir / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def sweep_previous(results_dir: Path) -> list[str]:
    """Stop what runs under results_dir left running after their soak died, remove their private
    folders, mark them killed; one line per run tidied. Runs whose soak still lives are left alone."""
    if not results_dir.is_dir():
        return []
    lines = []
    for run_dir in sorted(path for path in results_dir.iterdir() if path.is_dir()):
        pid_dir, private = run_dir / PIDS_DIR, run_dir / PRIVATE_DIR
        if not (pid_dir.exists() or private.exists()):
            continue
        info = _read_info(run_dir)
        if info is None or harness_alive(info):
            continue  # not ours to judge, or another soak is running it now
        done = []
        if pid_dir.is_dir():
            stopped = stop_recorded(pid_dir)
            if stopped:
                done.append("stopped " + ", ".join(f"{r.name} (pid {r.pid})" for r in stopped))
        if private.is_dir():
            remove_private_dir(run_dir)
            done.append("removed its private folder")
        if info.get("outcome") == RunState.RUNNING.value:
            mark_killed(run_dir, info, None)
            done.append("marked it killed")
        if done:
            lines.append(f"previous run {run_dir} was left behind by a soak that is gone: {'; '.join(done)}")
    return lines
