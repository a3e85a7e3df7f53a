"""The knee, live: each step's webhook figures from the update records as they arrive (on the
master with workers), and its end-to-end latency from the mocks' records (scenarios/knee_e2e.py),
judged against the profile's limits once the step's last updates are past them, so the load stops
once two steps in a row did not hold. Pure: no Locust import.

A step is judged on the updates due in its last two thirds, once the service has settled into the
new rate (and, for the first, once Locust's connections are up): what counts is whether the rate
is held, not the moment of the change. Each judged step is one line of knee.jsonl (SOAK_KNEE_FILE);
the harness adds end-to-end latency from its accounting and names the knee (harness/analysis/knee.py).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scenarios.kinds import BAD_INPUT, LOAD_STOPPED
from scenarios.knee_e2e import LiveE2E
from scenarios.settings import KneeLimits
from scenarios.shape_math import ShapeSpec, knee_rate, knee_step, knee_steps


@dataclass(frozen=True)
class StepResult:
    step: int
    rate: float  # scheduled updates/s
    start: float  # Unix s
    end: float
    sent: int  # updates due in the step
    judged: int  # of those, due in its last two thirds
    errors: int  # of the judged, answered without a 2xx
    p95_ms: float | None  # of the judged, from the scheduled send time
    held: bool
    crossed: tuple[str, ...]  # what did not hold, in words
    # The machine's 1-minute load average as the step was judged: a knee moves with the CPU the
    # service gets, so a busier machine gives a lower one.
    load_average: float | None = None
    # The worst flow's end-to-end p95 (ms; inf: past the limit unfinished), judged live when the
    # profile limits it; the harness judges it again from the whole run's accounting.
    e2e_p95_ms: float | None = None
    e2e_crossed: tuple[str, ...] = ()


SETTLED_FROM = 1 / 3  # share of a step after which its updates are judged
# A step that fails alone, the next one holding, was a stall of the machine (a GC, a noisy
# neighbour), not the service's limit: the load stops after this many failed steps in a row.
CONFIRMING_STEPS = 2


@dataclass
class _Tally:
    sent: int = 0
    judged: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class KneeTracker:
    """Step tallies of the records seen; start_s is when the schedule started (Unix s)."""

    def __init__(self, spec: ShapeSpec, limits: KneeLimits, start_s: float) -> None:
        self.spec = spec
        self.limits = limits
        self.start_s = start_s
        self._steps: dict[int, _Tally] = {}
        self.judged = 0  # steps judged so far, in order
        self.failed_in_a_row = 0
        self.e2e = _live_e2e(spec, limits, start_s)

    def observe(self, record: dict[str, Any]) -> None:
        if self.e2e is not None:
            self.e2e.observe(record)
        if record.get("kind") == BAD_INPUT or record.get("why") == LOAD_STOPPED:
            return  # bad input is judged apart; an update the stop cut short says nothing of the rate
        due = record.get("sched", record.get("t"))
        if not isinstance(due, int | float) or due < self.start_s:
            return
        elapsed_s = due - self.start_s
        step = knee_step(self.spec, elapsed_s)
        tally = self._steps.setdefault(step, _Tally())
        tally.sent += 1
        if elapsed_s < (step + SETTLED_FROM) * self.spec.step_s:
            return
        tally.judged += 1
        status = record.get("status")
        if not isinstance(status, int) or not 200 <= status < 300:
            tally.errors += 1
        if isinstance(record.get("ms"), int | float):
            tally.latencies_ms.append(float(record["ms"]))

    def _crossed(self, tally: _Tally, p95_ms: float | None) -> tuple[str, ...]:
        limits, crossed = self.limits, []
        if tally.judged == 0:
            return ("nothing was sent",)
        ratio = tally.errors / tally.judged
        if limits.error_ratio_max is not None and ratio > limits.error_ratio_max:
            crossed.append(f"error ratio {ratio:.2%} > {limits.error_ratio_max:.2%}")
        if limits.latency_p95_max_s is not None and p95_ms is not None and p95_ms > limits.latency_p95_max_s * 1000:
            crossed.append(f"webhook p95 {p95_ms:.0f} ms > {limits.latency_p95_max_s * 1000:.0f} ms")
        return tuple(crossed)

    def judge_next(self) -> StepResult:
        """The next step in order, from what was recorded for it (dropped from memory after)."""
        step = self.judged
        self.judged += 1
        tally = self._steps.pop(step, _Tally())
        p95_ms = p95(tally.latencies_ms)
        crossed = self._crossed(tally, p95_ms)
        e2e_ms, e2e_crossed = self._e2e(step)
        failed = bool(crossed or e2e_crossed)
        self.failed_in_a_row = self.failed_in_a_row + 1 if failed else 0
        start = self.start_s + step * self.spec.step_s
        return StepResult(step, knee_rate(self.spec, step), round(start, 3), round(start + self.spec.step_s, 3),
                          tally.sent, tally.judged, tally.errors, None if p95_ms is None else round(p95_ms, 2),
                          not failed, crossed, _load_average(), e2e_ms, e2e_crossed)  # fmt: skip

    def _e2e(self, step: int) -> tuple[float | None, tuple[str, ...]]:
        if self.e2e is None:
            return None, ()
        p95_s, flow = self.e2e.step_p95(step)
        if p95_s is None:
            return None, ()
        limit_s = self.e2e.limit_s
        if p95_s <= limit_s:
            return round(p95_s * 1000, 1), ()
        figure = "unfinished past the limit" if math.isinf(p95_s) else f"{p95_s:.1f} s"
        return (None if math.isinf(p95_s) else round(p95_s * 1000, 1)), (f"e2e p95 ({flow}) {figure} > {limit_s:g} s",)

    def due(self, elapsed_s: float) -> bool:
        """Whether the next step ended at least settle_s ago (and, judged end to end, its last
        updates are past the e2e limit), and is a step the knee plays."""
        if self.judged >= knee_steps(self.spec):
            return False
        ended_s = (self.judged + 1) * self.spec.step_s + self.limits.settle_s
        if self.e2e is None:
            return elapsed_s >= ended_s
        self.e2e.advance()
        return elapsed_s >= ended_s and self.e2e.ready(self.judged)

    def finished(self, elapsed_s: float) -> bool:
        """Every step played and judged, or the limit found (failed steps in a row)."""
        if self.failed_in_a_row >= CONFIRMING_STEPS:
            return True
        return self.judged >= knee_steps(self.spec) and elapsed_s >= knee_steps(self.spec) * self.spec.step_s


def _live_e2e(spec: ShapeSpec, limits: KneeLimits, start_s: float) -> LiveE2E | None:
    if limits.e2e_latency_p95_max_s is None or not limits.calls_path:
        return None
    return LiveE2E(Path(limits.calls_path), limits.e2e_latency_p95_max_s, spec.step_s, start_s,
                   by_callback=limits.results_by_callback)  # fmt: skip


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def write_step(path: str | None, result: StepResult) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(result)) + "\n")
