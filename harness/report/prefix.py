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
from harness.report.judge import ReportError, accounting_of, join_settings, read_record
from harness.report.load_results import limits_for
from harness.rundir import RunFileError, events_until, read_events


@dataclass(frozen=True)
class PrefixVerdict:
    """The verdict on the run's first load_s seconds of load (and what came before it)."""

    load_s: float
    verdict: Verdict


def judge_prefixes(run_dir: Path, load_s: Sequence[float]) -> list[PrefixVerdict]:
    """The verdict after each length of load in load_s that the run recorded (longer ones are left
    out: the run stopped before). Writes nothing; the run may still be recording."""
    record = read_record(run_dir)
    try:
        events = read_events(run_dir)
    except RunFileError as exc:
        raise ReportError(str(exc)) from None
    if record.end.stopped_at_s is not None:
        events = events_until(events, record.end.stopped_at_s)
    data, limits = record.data, limits_for(record.spec)
    verdicts = []
    for seconds in sorted(load_s):
        if not recorded_through(data, seconds):
            break
        clipped = clip_run_data(data, data.load.start_s + seconds)
        # Work is accounted for the prefix alone: updates still within their timeout are not judged.
        clipped = replace(clipped, accounting=accounting_of(run_dir, join_settings(record.spec, clipped, events)))
        verdicts.append(PrefixVerdict(seconds, judge(clipped, limits)))
    return verdicts


def recorded_through(data: RunData, load_s: float) -> bool:
    """Whether the load ran for load_s seconds: its phase lasted that long, and samples came after."""
    cutoff_s = data.load.start_s + load_s
    last_tick_s = max((curve.t_s[-1] for curve in data.curves.values() if curve.t_s.size), default=0.0)
    return data.load.end_s >= cutoff_s and last_tick_s >= cutoff_s
