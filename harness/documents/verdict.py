"""verdict.json: every check with its figure, limit, span, status and evidence, the notes, the
fault windows, the flows, how a partial run stopped and the target's death.

schema 2 adds `warmup_s` (the warm-up the checks cut); readers accept schema 1 as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictInt

from harness.analysis.model import Status
from harness.documents.files import Figure, Open, checked, read_json, require_run_dir
from harness.rundir import VERDICT

VERDICT_SCHEMA_VERSION: Literal[2] = 2
Span = tuple[float, float]


class CheckDocument(Open):
    name: str
    status: Status
    figure: Figure = None
    limit: Figure = None
    unit: str | None = None
    span_s: Span | None = None
    peak_span_s: Span | None = None
    detail: str | None = None
    evidence: list[str] = Field(default_factory=list)
    metric: str | None = None  # the recorded metric judged (verdicts before it was written have none)
    heap_growth: dict[str, Any] | None = None  # only on failing memory checks: what the heap gained


class PartialDocument(Open):
    state: str
    cause: str | None = None
    stopped_at_s: Figure = None
    note: str | None = None


class TargetExitDocument(Open):
    t_s: float
    cause: str
    log_tail: list[str] = Field(default_factory=list)


class VerdictDocument(Open):
    schema_version: Literal[1, 2] = VERDICT_SCHEMA_VERSION
    run: str | None = None
    status: Status | None = None
    exit_code: StrictInt | None = None
    warmup_s: Figure = None  # schema 2
    notes: list[str] = Field(default_factory=list)
    checks: list[CheckDocument]
    fault_windows: list[dict[str, Any]] = Field(default_factory=list)
    flows: list[dict[str, Any]] = Field(default_factory=list)
    heap_growth: dict[str, Any] | None = None
    partial: PartialDocument | None = None
    target_exit: TargetExitDocument | None = None
    knee: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """As verdict.json holds it (fields a run has no value for are written as null, as always)."""
        data = self.model_dump(mode="json", exclude_unset=False)
        for optional in ("heap_growth", "knee"):  # absent, not null, when the run had none
            if data.get(optional) is None:
                data.pop(optional, None)
        for check in data["checks"]:
            if check.get("heap_growth") is None:
                check.pop("heap_growth", None)
        return data


def read_verdict(run_dir: Path) -> VerdictDocument:
    require_run_dir(run_dir)
    path = run_dir / VERDICT
    data = read_json(path, f"no {VERDICT} in {run_dir} (run `soak report {run_dir}` first)")
    return checked(VerdictDocument, data, str(path))
