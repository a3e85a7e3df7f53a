"""A recorded run judged as if it had stopped earlier: the verdict after each of several lengths of
load, from one reading of the run directory (curves clipped as a run stopped there would have them:
no cool-down, updates still within their completion timeout not judged)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.analysis.model import RunData, Verdict
from harness.analysis.partial import clip_run_data
from harness.analysis.verdict import judge
from harness.report.judge import accounting_of, load_run_info, open_samples, reached_by, read_recorded


@dataclass(frozen=True)
class PrefixVerdict:
    """The verdict on the run's first load_s seconds of load (and what came before it)."""

    load_s: float
    verdict: Verdict


def judge_prefixes(run_dir: Path, load_s: Sequence[float]) -> list[PrefixVerdict]:
    """The verdict after each length of load in load_s that the run recorded (longer ones are left
    out: the run stopped before). Writes nothing; the run may still be recording."""
    info, spec = load_run_info(run_dir)
    reader = open_samples(run_dir)
    try:
        recorded = read_recorded(run_dir, info, reader)
    finally:
        reader.close()
    data, reached = recorded.data, reached_by(spec)
    verdicts = []
    for seconds in sorted(load_s):
        if not recorded_through(data, seconds):
            break
        clipped = clip_run_data(data, data.load.start_s + seconds)
        clipped = replace(clipped, reached=reached, accounting=accounting_of(run_dir, spec, clipped, recorded.events))
        verdicts.append(PrefixVerdict(seconds, judge(clipped, spec.thresholds)))
    return verdicts


def recorded_through(data: RunData, load_s: float) -> bool:
    """Whether the load ran for load_s seconds: its phase lasted that long, and samples came after."""
    cutoff_s = data.load.start_s + load_s
    last_tick_s = max((curve.t_s[-1] for curve in data.curves.values() if curve.t_s), default=0.0)
    return data.load.end_s >= cutoff_s and last_tick_s >= cutoff_s
