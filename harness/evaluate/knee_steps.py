"""Reading a knee run's step table (knee.jsonl, written live by Locust) and its end-to-end figures
(the per-update accounting on windows aligned with the steps) into the knee (analysis/knee.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.accounting.join import JoinSettings, account
from harness.accounting.tally import Window
from harness.analysis.knee import THIRDS, Knee, StepFigures, find_knee, judged_by_step, step_e2e
from harness.analysis.model import Span
from harness.config import RunSpec

KNEE_FILE = "knee.jsonl"


def _figures(row: dict[str, Any], wall_minus_run_s: float) -> StepFigures:
    p95_ms = row.get("p95_ms")
    return StepFigures(
        step=int(row["step"]),
        rate=float(row["rate"]),
        span=Span(float(row["start"]) - wall_minus_run_s, float(row["end"]) - wall_minus_run_s),
        sent=int(row["sent"]),
        judged=int(row.get("judged", row["sent"])),
        errors=int(row["errors"]),
        p95_s=None if p95_ms is None else float(p95_ms) / 1000,
        crossed=tuple(str(why) for why in row.get("crossed", ())),
        load_average=float(row["load_average"]) if isinstance(row.get("load_average"), int | float) else None,
    )


def read_steps(run_dir: Path, wall_minus_run_s: float) -> list[StepFigures]:
    """The steps the live check judged, in order; a line cut by a kill is skipped."""
    steps = []
    try:
        lines = (run_dir / KNEE_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            steps.append(_figures(json.loads(line), wall_minus_run_s))
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(steps, key=lambda step: step.step)


def _e2e_by_step(
    run_dir: Path, settings: JoinSettings, steps: list[StepFigures]
) -> dict[int, tuple[float | None, str | None]]:
    first = steps[0]
    third_s = (first.span.end_s - first.span.start_s) / THIRDS
    aligned = replace(settings, window=Window(first.span.start_s - first.step * THIRDS * third_s, third_s))
    accounting = account(run_dir, aligned)
    if accounting is None:
        return {}
    by_step = judged_by_step(accounting.windows, aligned.window.origin_s, third_s)
    return {step: step_e2e(windows) for step, windows in by_step.items()}


def knee_of(run_dir: Path, spec: RunSpec, settings: JoinSettings | None) -> Knee | None:
    """The knee of a knee run (None for other runs, or without a step table)."""
    if spec.load.shape != "knee" or settings is None:
        return None
    steps = read_steps(run_dir, settings.wall_minus_run_s)
    if not steps:
        return None
    e2e = _e2e_by_step(run_dir, settings, steps)
    return find_knee(steps, e2e, spec.thresholds.e2e_latency_p95_max_s)
