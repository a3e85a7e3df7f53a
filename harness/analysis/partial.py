"""A run that stopped early is judged on what was recorded until it stopped, and nothing after
(the orphans of a killed soak may go on writing for a moment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np

from harness.analysis.model import Curve, LoadStats, RunData, Span
from harness.analysis.rules import FAILURES, UPDATES
from shared import human


class RunState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    KILLED = "killed"


@dataclass(frozen=True)
class RunEnd:
    """state; cause: what stopped it early; stopped_at_s: where judging stops (None: nowhere)."""

    state: RunState
    cause: str | None = None
    stopped_at_s: float | None = None

    @property
    def partial(self) -> bool:
        return self.state is not RunState.COMPLETED

    @property
    def note(self) -> str | None:
        if not self.partial:
            return None
        at = "?" if self.stopped_at_s is None else human.duration(round(self.stopped_at_s))
        if self.state is RunState.RUNNING:
            return f"partial: still running, judged up to {at}"
        return f"partial: stopped at {at} by {self.cause}; judged on what was recorded until then"

    def document(self) -> dict[str, Any] | None:
        if not self.partial:
            return None
        return {"state": self.state.value, "cause": self.cause, "stopped_at_s": self.stopped_at_s, "note": self.note}


def _cut(curve: Curve, cutoff_s: float) -> Curve:
    keep = int(np.searchsorted(curve.t_s, cutoff_s, side="right"))  # curves are in time order
    return Curve(curve.t_s[:keep], curve.values[:keep])


def _cut_all(curves: Mapping[str, Curve], cutoff_s: float) -> dict[str, Curve]:
    return {name: cut for name, curve in curves.items() if (cut := _cut(curve, cutoff_s)).t_s.size}


def _clamp(span: Span | None, cutoff_s: float) -> Span | None:
    if span is None or span.start_s > cutoff_s:
        return None
    return Span(span.start_s, min(span.end_s, cutoff_s))


def _load_stats_until(data: RunData, curves: Mapping[str, Curve]) -> LoadStats | None:
    """Requests and failures counted by the cutoff, from Locust's history (its totals include
    what came after: a run stopped there, or the requests Locust lost as it was stopped). The p95
    has no history: the whole run's is kept."""
    sent, failed = curves.get(UPDATES), curves.get(FAILURES)
    if sent is None or failed is None:
        return data.load_stats
    p95_s = data.load_stats.p95_s if data.load_stats is not None else None
    return LoadStats(int(sent.values[-1]), int(failed.values[-1]), p95_s)


def clip_run_data(data: RunData, cutoff_s: float) -> RunData:
    """data as it stood at cutoff_s: curves cut there, phases and fault windows ended there."""
    faults = tuple(
        replace(window, span=clamped)
        for window in data.fault_windows
        if (clamped := _clamp(window.span, cutoff_s)) is not None
    )
    death = data.target_exit if data.target_exit is not None and data.target_exit.t_s <= cutoff_s else None
    curves = _cut_all(data.curves, cutoff_s)
    return replace(
        data,
        curves=curves,
        load_stats=_load_stats_until(data, curves),
        calls=_cut_all(data.calls, cutoff_s),
        fault_windows=faults,
        load=Span(min(data.load.start_s, cutoff_s), min(data.load.end_s, cutoff_s)),
        baseline=_clamp(data.baseline, cutoff_s),
        cooldown=_clamp(data.cooldown, cutoff_s),
        target_exit=death,
    )
