"""Reading run.json and verdict.json back from a run directory that anyone may have edited or
damaged: each is checked against the shape soak writes, and whatever is off is one RunFileError
naming the file and the field, never an exception from deep inside a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, ValidationError

from harness.config import RunSpec, first_error
from harness.rundir import RUN_JSON, VERDICT, RunFileError


class _Open(BaseModel):
    """Fields soak reads are checked; anything else a run.json carries is kept as it is."""

    model_config = ConfigDict(extra="allow", frozen=True)


class InterceptionRecord(_Open):
    mode: str | None = None
    note: str | None = None
    preload_pids: list[StrictInt] | None = None


class RunInfo(_Open):
    spec: RunSpec
    interception: InterceptionRecord | None = None


# A number or null, never a string or a boolean (JSON's true is no figure).
Figure = StrictFloat | StrictInt | None


class CheckRecord(_Open):
    name: str
    status: Literal["pass", "fail", "inconclusive"]
    figure: Figure = None
    limit: Figure = None
    unit: str | None = None
    metric: str | None = None  # the recorded metric judged (verdicts before it was written have none)


class VerdictRecord(_Open):
    checks: list[CheckRecord]


def require_run_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        what = "a file" if run_dir.exists() else "missing"
        raise RunFileError(f"not a run directory: {run_dir} is {what}")


def read_json(path: Path, missing: str) -> Any:
    """The parsed file; `missing` is the message when it does not exist."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(missing) from None
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise RunFileError(f"{path}: not valid JSON ({str(exc)[:120]})") from None


def read_run_info(run_dir: Path) -> tuple[dict[str, Any], RunInfo]:
    """run.json as a plain dict (what the notes read) and checked (what the judge relies on)."""
    require_run_dir(run_dir)
    path = run_dir / RUN_JSON
    data = read_json(path, f"not a run directory (no {RUN_JSON}): {run_dir}")
    try:
        return data, RunInfo.model_validate(data)
    except ValidationError as exc:
        raise RunFileError(f"{path}: {first_error(exc, root='document')}") from None


def read_verdict(run_dir: Path) -> VerdictRecord:
    require_run_dir(run_dir)
    path = run_dir / VERDICT
    data = read_json(path, f"no {VERDICT} in {run_dir} (run `soak report {run_dir}` first)")
    try:
        return VerdictRecord.model_validate(data)
    except ValidationError as exc:
        raise RunFileError(f"{path}: {first_error(exc, root='document')}") from None
