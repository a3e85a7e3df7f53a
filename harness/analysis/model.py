"""The values analysis works on and returns: curves in, checks and a verdict out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.analysis.bad_input import BadInputKind
    from harness.analysis.flows import Accounting
    from harness.analysis.heap_growth import HeapGrowth
    from harness.analysis.knee import Knee
    from harness.analysis.partial import RunEnd
    from harness.config import Thresholds

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shared import human


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, eq=False, init=False)
class Curve:
    """A metric's samples: seconds since run start and values, as read-only float arrays in time order.

    Built from arrays (shared, not copied) or any sequences; samples out of time order are sorted.
    Test emptiness with `curve.values.size`: an array has no truth value.
    """

    t_s: NDArray[np.float64]
    values: NDArray[np.float64]

    def __init__(self, t_s: ArrayLike, values: ArrayLike) -> None:
        times, found = _read_only(t_s), _read_only(values)
        if times.ndim != 1 or times.shape != found.shape:
            raise ValueError(f"a curve needs as many times as values, got {times.shape} and {found.shape}")
        if times.size > 1 and not bool(np.all(times[1:] >= times[:-1])):
            order = np.argsort(times, kind="stable")
            times, found = _read_only(times[order]), _read_only(found[order])
        object.__setattr__(self, "t_s", times)
        object.__setattr__(self, "values", found)


def _read_only(numbers: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(numbers, dtype=np.float64)
    if array.flags.writeable:
        array = array.view()  # the caller's array stays writable; the curve's view does not
        array.setflags(write=False)
    return array


@dataclass(frozen=True)
class MetricInfo:
    """What the store's catalogue says of a metric: its unit ("bytes", "count", ...) and the
    probe that recorded it ("process", "node", "collector", ...)."""

    unit: str
    source: str


@dataclass(frozen=True)
class Span:
    """The part of the run a check was measured on, in seconds since run start."""

    start_s: float
    end_s: float


@dataclass(frozen=True)
class FaultWindow:
    """An injected fault's window as the run recorded it (events.jsonl): which upstream and route."""

    upstream: str
    route: str
    kind: str
    span: Span
    # Redis windows that cut the target's connections: how long after the window's end the target
    # had one again, or, when it had none by the end of the watch, how long the watch waited.
    reconnected_after_s: float | None = None
    not_reconnected_after_s: float | None = None

    @property
    def label(self) -> str:
        # whole seconds: a name for the window as it was set, whatever the events' exact times
        span = human.span(round(self.span.start_s), round(self.span.end_s))
        return f"{self.upstream} {self.route} {self.kind} {span}"


@dataclass(frozen=True)
class Pause:
    """A pause soak itself imposed on the target (events.jsonl target_pause): a listener census, a
    heap snapshot, a long forced GC. Its span is the wall time of the inspector call(s)."""

    cause: str
    span: Span

    @property
    def duration_s(self) -> float:
        return self.span.end_s - self.span.start_s

    @property
    def label(self) -> str:
        return f"{self.cause} at {self.span.start_s:.0f} s, {self.duration_s:.1f} s"


@dataclass(frozen=True)
class LoadStats:
    """What the load generator saw over the whole run."""

    requests: int
    failures: int
    p95_s: float | None


@dataclass(frozen=True)
class TargetExit:
    """The target's death as the runner saw it: when, how (exit code or signal), its last words."""

    t_s: float
    cause: str
    log_tail: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordHealth:
    """How well the run was measured, as the store tells it: each tick's lateness, what could not
    be measured (metric -> why) and damage met while reading."""

    lateness_s: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    unavailable: Mapping[str, str] = field(default_factory=dict)
    damage: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunData:
    """Everything a verdict is computed from.

    curves: recorded metrics by name. load: the load phase. baseline: quiet sampling before the
    load (None when the run had none). cooldown: from load end to the last sample, or None.
    log_counts: occurrences of known warning lines in the target's output.
    target_exit: the target's death during the run, when the runner saw one.
    fault_windows: the injected faults' windows. pauses: those soak's own inspector calls imposed.
    calls: cumulative calls at the mocks by
    "upstream.route", on the run's clock (from upstream-calls.jsonl). reached: the upstreams the
    scenario's flows must call, with why. catalogue: unit and source of each curve, where known.
    """

    curves: Mapping[str, Curve]
    load: Span
    baseline: Span | None = None
    cooldown: Span | None = None
    load_stats: LoadStats | None = None
    log_counts: Mapping[str, int] = field(default_factory=dict)
    target_exit: TargetExit | None = None
    fault_windows: tuple[FaultWindow, ...] = ()
    pauses: tuple[Pause, ...] = ()  # soak's own pauses of the target, judged apart like fault windows
    calls: Mapping[str, Curve] = field(default_factory=dict)
    reached: Mapping[str, str] = field(default_factory=dict)  # upstream -> why the flows must call it
    accounting: Accounting | None = None  # per-update accounting, when the scenario logged its updates
    catalogue: Mapping[str, MetricInfo] = field(default_factory=dict)
    heap_growth: HeapGrowth | None = None  # the heap snapshots' diff, when the run took two
    # Cumulative updates accepted, by send time (updates.jsonl): the work ratios' denominator when present.
    accepted: Curve | None = None
    # What the run directory holds beside the curves (harness/evaluate reads it all):
    thresholds: Thresholds | None = None  # the limits the run is judged by (a knee run's adjusted)
    end: RunEnd | None = None  # how the run ended; its note heads every report of a partial run
    bad_input: Mapping[str, BadInputKind] = field(default_factory=dict)  # Locust's bad:<kind> requests
    knee: Knee | None = None  # a knee run's steps and the rate held
    health: RecordHealth = field(default_factory=RecordHealth)
    notes: tuple[str, ...] = ()  # how traffic reached the mocks (interception), read with the run
    heap_notes: tuple[str, ...] = ()  # what the heap snapshots could or could not tell
    # The webhook's answer latency (s) of each update, at its send (or scheduled) time (updates.jsonl).
    answer_latency: Curve | None = None
    # Why the profile raises the load on purpose (a knee's steps, a ramp), None when it does not:
    # growth checks then judge what is left after the cool-down, not work in flight (rising_load.py).
    load_rise: str | None = None


class GuideRole(StrEnum):
    JUDGED = "judged"  # the values the check judged (window medians, ratios per window)
    FIT = "fit"  # the fitted trend, or the levels compared, on the judged span
    LIMIT = "limit"  # where the figure would reach its limit


@dataclass(frozen=True)
class Guide:
    """A line a chart of the check draws over its metric: on the run's clock, in the metric's own
    units (bytes for a slope in B/s), so a reader sees what was judged and where the limit lies."""

    role: GuideRole
    label: str
    t_s: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class Check:
    """One judged figure with its evidence."""

    name: str
    status: Status
    figure: float | None
    limit: float
    unit: str
    span: Span | None
    detail: str
    metric: str | None = None  # the recorded metric judged, for reports to chart it first
    evidence: tuple[str, ...] = ()  # lines too long for `detail` (a log tail), shown under the table
    peak_span: Span | None = None  # the window where the figure was reached (windowed checks)
    guides: tuple[Guide, ...] = ()  # what a chart of this check draws beside its metric
    heap_growth: HeapGrowth | None = None  # on failing memory checks: the kinds of object that grew


@dataclass(frozen=True)
class Verdict:
    """The checks, and what a reader must know beside them (notes); warmup_s: the warm-up the
    checks cut, for reports to shade it."""

    status: Status
    checks: tuple[Check, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = ()
    warmup_s: float = 0.0


def overall(checks: tuple[Check, ...]) -> Status:
    """Any fail fails; otherwise any inconclusive is inconclusive; no checks at all is inconclusive."""
    statuses = {check.status for check in checks}
    if Status.FAIL in statuses:
        return Status.FAIL
    if Status.INCONCLUSIVE in statuses or not checks:
        return Status.INCONCLUSIVE
    return Status.PASS
