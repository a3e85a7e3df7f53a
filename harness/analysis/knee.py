"""The knee of a `knee` run: the highest rate of updates per second the service held before the
webhook's error ratio, its p95 latency (from the scheduled send) or the end-to-end p95 crossed the
profile's limits. The webhook figures come from the live check's step table (knee.jsonl); the
end-to-end figures from the per-update accounting, on the same part of each step (its last two
thirds). An update not completed within the completion timeout counts as slower than any limit.

A step that did not hold while the next one did was a stall of the machine, not the service's
limit: the limit is the first step that failed with the next failing too (or none next). The
knee is the last step held before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.analysis.flows import FlowWindow, latency_quantile_s
from harness.analysis.model import Span
from harness.config import RunSpec, Thresholds
from shared import human

_KNEE_LIMITS = {"error_ratio_max": None, "latency_p95_max_s": None, "e2e_latency_p95_max_s": None}
KNEE_NOTE = (
    "knee run: error_ratio_max, latency_p95_max and e2e_latency_p95_max are the limits each step must hold "
    "(the knee table), not checks over the run, which crosses them on purpose"
)
MIN_UPDATES = 10  # a flow with fewer updates in a step says nothing of its p95
NOT_DONE = float("inf")  # an e2e p95 that falls on updates never completed


@dataclass(frozen=True)
class StepFigures:
    """One step as the live check judged it (knee.jsonl), on the run's clock."""

    step: int
    rate: float
    span: Span
    sent: int
    judged: int
    errors: int
    p95_s: float | None
    crossed: tuple[str, ...]
    load_average: float | None = None  # the machine's, when the step was judged


@dataclass(frozen=True)
class KneeStep:
    figures: StepFigures
    e2e_p95_s: float | None  # worst flow; NOT_DONE when its p95 fell on unfinished updates
    e2e_flow: str | None
    held: bool
    crossed: tuple[str, ...]

    @property
    def achieved_rate(self) -> float:
        length_s = self.figures.span.end_s - self.figures.span.start_s
        return self.figures.sent / length_s if length_s > 0 else 0.0


@dataclass(frozen=True)
class Knee:
    rate: float | None  # the highest step held, every step before it held too; None: not even the first
    steps: tuple[KneeStep, ...]
    verdict: str  # in words: the knee, or why there is none

    @property
    def overload_from_s(self) -> float | None:
        """Where the first step above the knee that did not hold began: past it the run overloads
        the service on purpose, so what piles up there (work, memory, connections) is the knee's
        figure, not a defect; None when every step held."""
        # A lone failed step below the knee (a stall, the next step held) is judged like any other.
        failed = [step.figures.span.start_s for step in self.steps
                  if not step.held and (self.rate is None or step.figures.rate > self.rate)]  # fmt: skip
        return min(failed) if failed else None


def _flow_p95_s(windows: Sequence[FlowWindow]) -> float | None:
    """p95 of one flow's updates in these windows; NOT_DONE when it falls on unfinished ones."""
    updates = sum(w.updates for w in windows)
    completed = sum(w.completed for w in windows)
    if updates < MIN_UPDATES:
        return None
    # The p95 of all updates lies among the completed ones only if enough completed (a step whose
    # work all queued up completes none: slower than any limit, not unjudged).
    rank = 0.95 * updates
    if completed < rank:
        return NOT_DONE
    counts = [sum(column) for column in zip(*(w.latency_counts for w in windows), strict=True)]
    return latency_quantile_s(tuple(counts), rank / completed)


def step_e2e(windows: Sequence[FlowWindow]) -> tuple[float | None, str | None]:
    """The worst flow's end-to-end p95 over one step's judged windows (cursor-runner callbacks apart)."""
    worst: tuple[float | None, str | None] = (None, None)
    for flow in sorted({w.flow for w in windows} - {"callback"}):
        p95_s = _flow_p95_s([w for w in windows if w.flow == flow])
        if p95_s is not None and (worst[0] is None or p95_s > worst[0]):
            worst = (p95_s, flow)
    return worst


THIRDS = 3  # a step is judged on its last two thirds (scenarios/knee_live.py)


def judged_by_step(windows: Sequence[FlowWindow], origin_s: float, third_s: float) -> dict[int, list[FlowWindow]]:
    """Accounting windows a third of a step long, from origin_s, grouped by step; each step's first
    third (the service settling into the new rate) left out."""
    by_step: dict[int, list[FlowWindow]] = {}
    for window in windows:
        index = round((window.span.start_s - origin_s) / third_s)
        if index % THIRDS:
            by_step.setdefault(index // THIRDS, []).append(window)
    return by_step


def _e2e_text(p95_s: float) -> str:
    return "beyond the completion timeout" if p95_s == NOT_DONE else human.duration(p95_s)


def find_knee(
    steps: Sequence[StepFigures], e2e: Mapping[int, tuple[float | None, str | None]], e2e_limit_s: float | None
) -> Knee:
    """e2e: step -> (worst flow's e2e p95, that flow), from step_e2e."""
    judged: list[KneeStep] = []
    for figures in steps:
        p95_s, flow = e2e.get(figures.step, (None, None))
        crossed = list(figures.crossed)
        if e2e_limit_s is not None and p95_s is not None and p95_s > e2e_limit_s:
            crossed.append(f"e2e p95 ({flow}) {_e2e_text(p95_s)} > {human.duration(e2e_limit_s)}")
        judged.append(KneeStep(figures, p95_s, flow, not crossed, tuple(crossed)))
    limit = _confirmed_failure(judged)
    held = [step for step in judged[:limit] if step.held]
    if not judged:
        return Knee(None, (), "no knee: no step was judged")
    if not held:
        failed = judged[limit]
        why = "; ".join(failed.crossed)
        return Knee(
            None, tuple(judged), f"no knee: the first step did not hold at {failed.figures.rate:g} updates/s ({why})"
        )
    rate = held[-1].figures.rate
    if limit == len(judged):
        return Knee(rate, tuple(judged), f"held every step up to {rate:g} updates/s: the knee is above")
    failed = judged[limit]
    why = "; ".join(failed.crossed)
    verdict = f"knee at {rate:g} updates/s; {failed.figures.rate:g} updates/s did not hold ({why})"
    return Knee(rate, tuple(judged), verdict)


def _confirmed_failure(steps: Sequence[KneeStep]) -> int:
    """Index of the first failed step whose next step failed too (or that is the last); len if none."""
    for index, step in enumerate(steps):
        if not step.held and (index + 1 == len(steps) or not steps[index + 1].held):
            return index
    return len(steps)


def limits_for(spec: RunSpec) -> Thresholds:
    """The thresholds the run is judged by: a knee run's error and latency limits judge its steps."""
    if spec.load.shape != "knee":
        return spec.thresholds
    return spec.thresholds.model_copy(update=_KNEE_LIMITS)


def declared_rise(spec: RunSpec) -> str | None:
    """Why the profile raises the load on purpose, in words, or None (growth checks then judge what
    is left after the cool-down: analysis/rising_load.py)."""
    load = spec.load
    if load.shape == "knee":
        return "a knee run raises its rate step by step (past what the service holds)"
    if load.shape == "ramp" and (load.peak_users or 0) > load.users:
        return f"the load ramps from {load.users} to {load.peak_users} users"
    if load.shape == "arrival_rate" and load.rate_curve == "ramp" and (load.peak_rate or 0) > (load.rate or 0):
        return f"the arrival rate ramps from {load.rate:g} to {load.peak_rate:g} updates/s"
    return None
