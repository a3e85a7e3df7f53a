"""run.json: the resolved profile, versions, the processes started and how the run ended. The
runner and `soak collect` write it through write_run_info (checked against the model first);
`soak report` and compare read it back with read_run_info."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import StrictInt

from harness.analysis.partial import RunState
from harness.config import RunSpec
from harness.documents.files import Figure, Open, checked, read_json, require_run_dir
from harness.documents.spec_upgrade import upgraded_spec
from harness.rundir import RUN_JSON, write_json


class InterceptionRecord(Open):
    mode: str | None = None
    note: str | None = None
    preload_pids: list[StrictInt] | None = None


class HarnessRecord(Open):
    """The soak process writing the run: readers tell a live run from a killed one by it."""

    pid: StrictInt
    start_ticks: StrictInt | None = None


class RunInfo(Open):
    spec: RunSpec
    outcome: RunState = RunState.COMPLETED  # written before outcomes were recorded: it ran to its end
    harness: HarnessRecord | None = None
    started_at: Figure = None
    ended_at: Figure = None
    stopped_by: str | None = None
    stopped_at_s: Figure = None
    error: str | None = None
    profile: str | None = None
    target_command: list[str] | None = None
    interception: InterceptionRecord | None = None


def read_run_info(run_dir: Path) -> tuple[dict[str, Any], RunInfo]:
    """run.json as a plain dict (what a rewrite keeps whole) and checked (what readers rely on)."""
    require_run_dir(run_dir)
    path = run_dir / RUN_JSON
    data = read_json(path, f"not a run directory (no {RUN_JSON}): {run_dir}")
    readable = {**data, "spec": upgraded_spec(data["spec"])} if isinstance(data, dict) and "spec" in data else data
    return data, checked(RunInfo, readable, str(path))


def write_run_info(run_dir: Path, info: dict[str, Any]) -> None:
    """run.json, checked first: a writer that drifts from what readers accept fails here, not in a report."""
    path = run_dir / RUN_JSON
    checked(RunInfo, info, str(path))
    write_json(path, info)
