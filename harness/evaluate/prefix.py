"""A recorded run judged as if it had stopped earlier: the verdict after each of several lengths of
load, from one reading of the run directory (curves clipped as a run stopped there would have them:
no cool-down, updates still within their completion timeout not judged)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.accounting.join import account
from harness.analysis.model import RunData, Verdict
from harness.analysis.partial import clip_run_data
from harness.analysis.verdict import judge
from harness.config import Thresholds
from harness.documents.events import events_until, read_events
from harness.documents.run_info import read_run_info
from harness.evaluate.load import EvaluateError, join_settings, load_run
from harness.rundir import RunFileError


@dataclass(frozen=True)
class PrefixVerdict:
    """The verdict on the run's first load_s seconds of load (and what came before it)."""

    load_s: float
    verdict: Verdict


def judge_prefixes(run_dir: Path, load_s: Sequence[float]) -> list[PrefixVerdict]:
    """The verdict after each length of load in load_s that the run recorded (longer ones are left
    out: the run stopped before). Writes nothing; the run may still be recording."""
    data = load_run(run_dir)
    try:
        spec = read_run_info(run_dir)[1].spec
        events = read_events(run_dir)
    except RunFileError as exc:
        raise EvaluateError(str(exc)) from None
    if data.end is not None and data.end.stopped_at_s is not None:
        events = events_until(events, data.end.stopped_at_s)
    limits = data.thresholds or Thresholds()
    verdicts = []
    for seconds in sorted(load_s):
        if not recorded_through(data, seconds):
            break
        clipped = clip_run_data(data, data.load.start_s + seconds)
        # Work is accounted for the prefix alone: updates still within their timeout are not judged.
        settings = join_settings(spec, clipped, events)
        clipped = replace(clipped, accounting=None if settings is None else account(run_dir, settings))
        verdicts.append(PrefixVerdict(seconds, judge(clipped, limits)))
    return verdicts


def recorded_through(data: RunData, load_s: float) -> bool:
    """Whether the load ran for load_s seconds: its phase lasted that long, and samples came after."""
    cutoff_s = data.load.start_s + load_s
    last_tick_s = max((curve.t_s[-1] for curve in data.curves.values() if curve.t_s.size), default=0.0)
    return data.load.end_s >= cutoff_s and last_tick_s >= cutoff_s
