"""What the live view knows about a run, built from its events, the collector's ticks and Locust's
figures; snapshot() is an immutable picture for the renderers and the metrics endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from harness.collector.store import Missing
from harness.config import RunSpec
from harness.documents.events import EgressRefusedEvent, Event, FaultWindowEvent, PhaseEvent, TargetExitEvent
from harness.live.checks import LiveFailure, egress_crossed, peak_limits, peaks_crossed
from harness.live.feed import Tick
from harness.live.tails import LoadFigures
from vocab.events import EventKind, Phase

FAULT_START = EventKind.FAULT_WINDOW_START
# Phases in the order the runner goes through them; the judged run is baseline to the end of cooldown.
PHASES = tuple(Phase)


@dataclass(frozen=True)
class Reading:
    value: float
    unit: str  # as the collector's catalogue says: bytes, count, seconds, percent, bool


@dataclass(frozen=True)
class Snapshot:
    run: str
    phase: str
    elapsed_s: float
    remaining_s: float | None  # None once the run is stopping
    load: LoadFigures | None
    latest: Mapping[str, Reading]
    faults_active: tuple[str, ...]
    failing: tuple[LiveFailure, ...]
    dropped_ticks: int = 0

    def value(self, name: str) -> float | None:
        reading = self.latest.get(name)
        return None if reading is None else reading.value


def _fault_label(event: FaultWindowEvent) -> str:
    return f"{event.upstream} {event.route} {event.kind}"


@dataclass
class RunTracker:
    spec: RunSpec
    run: str
    phases: dict[str, float] = field(default_factory=dict)
    latest: dict[str, Reading] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    egress_refused: int = 0
    target_exit: str | None = None
    dropped_ticks: int = 0
    _waiting: list[Tick] = field(default_factory=list)

    def on_events(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, PhaseEvent) and event.t_s is not None:
                self.phases.setdefault(event.phase, float(event.t_s))
            elif isinstance(event, FaultWindowEvent) and event.event == FAULT_START:
                label = _fault_label(event)
                self.faults[label] = self.faults.get(label, 0) + 1
            elif isinstance(event, FaultWindowEvent) and self.faults.get(label := _fault_label(event), 0) > 0:
                self.faults[label] -= 1
            elif isinstance(event, EgressRefusedEvent):
                self.egress_refused += 1
            elif isinstance(event, TargetExitEvent):
                self.target_exit = f"target exited with {event.cause or 'an unknown cause'}"

    def on_ticks(self, ticks: Iterable[Tick], dropped: int = 0) -> None:
        """Latest value of every metric; peaks only over the judged run (baseline to cool-down's end)."""
        self.dropped_ticks += dropped
        new = list(ticks)
        for tick in new:
            for metric, value in tick.values.items():
                if not isinstance(value, Missing):
                    self.latest[metric.name] = Reading(value, metric.unit)
        self._waiting = self._peaks([*self._waiting, *new])

    def _peaks(self, ticks: list[Tick]) -> list[Tick]:
        """Ticks whose place in the run is not known yet (its baseline event unread) are kept."""
        start_s = self.phases.get("baseline", self.phases.get("load"))
        if start_s is None:
            return ticks[-256:]
        end_s = self.phases.get("stop", float("inf"))
        for tick in ticks:
            if not start_s <= tick.t_s <= end_s:
                continue
            for metric, value in tick.values.items():
                if not isinstance(value, Missing) and value > self.peaks.get(metric.name, float("-inf")):
                    self.peaks[metric.name] = value
        return []

    def failing(self) -> list[LiveFailure]:
        units = {name: "B" if reading.unit == "bytes" else reading.unit for name, reading in self.latest.items()}
        failures = peaks_crossed(self.peaks, peak_limits(self.spec.thresholds, units))
        failures += egress_crossed(self.egress_refused, self.spec.thresholds)
        if self.target_exit is not None:
            failures.append(LiveFailure("target_alive", self.target_exit))
        return failures

    @property
    def phase(self) -> str:
        seen = [name for name in PHASES if name in self.phases]
        return seen[-1] if seen else "starting"

    def remaining_s(self, now_s: float) -> float | None:
        """Until the end of the cool-down, as planned; before the baseline the start-up is not counted."""
        run = self.spec.run
        phase = self.phase
        if phase == "stop":
            return None
        if phase == "cooldown":
            return max(0.0, self.phases["cooldown"] + run.cooldown_s - now_s)
        if phase == "load":
            return max(0.0, self.phases["load"] + run.duration_s - now_s) + run.cooldown_s
        if phase == "baseline":
            return max(0.0, self.phases["baseline"] + run.baseline_s - now_s) + run.duration_s + run.cooldown_s
        return run.baseline_s + run.duration_s + run.cooldown_s

    def snapshot(self, now_s: float, load: LoadFigures | None) -> Snapshot:
        return Snapshot(
            run=self.run,
            phase=self.phase,
            elapsed_s=now_s,
            remaining_s=self.remaining_s(now_s),
            load=load,
            latest=dict(self.latest),
            faults_active=tuple(sorted(label for label, open_count in self.faults.items() if open_count > 0)),
            failing=tuple(self.failing()),
            dropped_ticks=self.dropped_ticks,
        )
