"""Reading a run directory into what analysis judges: curves, phases, load stats, log counts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.accounting.calls import accepted_curve, answer_latency_points, call_curves
from harness.accounting.faults import fault_windows
from harness.analysis.load_checks import EGRESS_REFUSED, LISTENER_WARNING
from harness.analysis.model import Curve, MetricInfo, Pause, RunData, Span, TargetExit
from harness.collector.store import SampleReader
from harness.documents.events import (
    EgressRefusedEvent,
    Event,
    HeapSnapshotEvent,
    PhaseEvent,
    PreloadActiveEvent,
    TargetExitEvent,
    TargetPauseEvent,
)
from harness.evaluate.locust_history import UNITS as LOAD_UNITS
from harness.evaluate.locust_history import history_curves
from harness.evaluate.locust_stats import read_load_stats
from vocab.events import PauseCause

TARGET_LOG = "target.log"


def read_catalogue(reader: SampleReader) -> dict[str, MetricInfo]:
    """Unit and source of every recorded metric, and of the curves built here (Locust's history)."""
    catalogue = {metric.name: MetricInfo(metric.unit, metric.source) for metric in reader.metrics()}
    catalogue.update({name: MetricInfo(unit, "locust") for name, unit in LOAD_UNITS.items()})
    return catalogue


def read_all_curves(reader: SampleReader) -> dict[str, Curve]:
    """Every recorded metric with at least one sample, as arrays straight from the store."""
    return {name: Curve(s.t_s, s.values) for name, s in reader.all_series().items() if s.t_s.size}


Events = Sequence[Event]


def _phase_starts(events: Events) -> dict[str, float]:
    starts: dict[str, float] = {}
    for event in events:
        if isinstance(event, PhaseEvent) and event.t_s is not None:
            starts.setdefault(event.phase, float(event.t_s))
    return starts


def phases(events: Events, last_tick_s: float) -> tuple[Span | None, Span, Span | None]:
    """Baseline, load and cool-down spans; a run killed mid-load is judged up to its last tick."""
    starts = _phase_starts(events)
    load_start_s = starts.get("load", 0.0)
    load_end_s = starts.get("cooldown", last_tick_s)
    baseline = Span(starts["baseline"], load_start_s) if "baseline" in starts else None
    cooldown = None
    if "cooldown" in starts:
        cooldown = Span(load_end_s, min(starts.get("stop", last_tick_s), last_tick_s))
    return baseline, Span(load_start_s, load_end_s), cooldown


def count_log_warnings(run_dir: Path) -> dict[str, int]:
    try:
        with (run_dir / TARGET_LOG).open(encoding="utf-8", errors="replace") as handle:
            seen = sum(line.count(LISTENER_WARNING) for line in handle)
    except FileNotFoundError:
        return {}
    return {LISTENER_WARNING: seen}


def count_egress_refusals(events: Events) -> dict[str, int]:
    """Refusals by the egress guard; absent when no guard was seen (no preload loaded, no refusal
    from the proxy), so a run without a guard never reads as "nothing refused"."""
    if not any(isinstance(event, PreloadActiveEvent | EgressRefusedEvent) for event in events):
        return {}
    return {EGRESS_REFUSED: sum(isinstance(event, EgressRefusedEvent) for event in events)}


def wall_minus_run_s_of(events: Events) -> float | None:
    """Offset between wall-clock time and the run's clock, from any event that carries both."""
    for event in events:
        if event.time is not None and event.t_s is not None:
            return float(event.time) - float(event.t_s)
    return None


def target_exit_of(events: Events) -> TargetExit | None:
    """The runner's `target_exit` event (code or signal, time, the tail of target.log)."""
    for event in events:
        if isinstance(event, TargetExitEvent) and event.t_s is not None:
            cause = event.cause or f"code {event.code}"
            return TargetExit(float(event.t_s), cause, tuple(event.log_tail))
    return None


def pauses_of(events: Events) -> tuple[Pause, ...]:
    """soak's own pauses of the target (target_pause), in time order. A run recorded before soak
    wrote them still has its heap snapshots' pauses, placed back from the snapshot's end."""
    pauses = [
        Pause(event.cause, Span(float(event.start_s), float(event.start_s) + float(event.duration_s)))
        for event in events
        if isinstance(event, TargetPauseEvent)
    ]
    if not pauses:
        for event in events:
            if isinstance(event, HeapSnapshotEvent) and event.t_s is not None:
                paused_s = float(event.pause_s) + float(event.gc_s or 0.0)
                end_s = float(event.t_s)
                pauses.append(Pause(PauseCause.HEAP_SNAPSHOT, Span(end_s - paused_s, end_s)))
    return tuple(sorted(pauses, key=lambda pause: pause.span.start_s))


def read_run_data(reader: SampleReader, run_dir: Path, events: Events) -> RunData:
    """events: the run's events.jsonl, read once by the caller (the notes use it too)."""
    curves = read_all_curves(reader)
    wall_minus_run_s = wall_minus_run_s_of(events)
    curves.update(history_curves(run_dir, wall_minus_run_s))  # updates sent, rates, latency percentiles
    last_tick_s = max((float(curve.t_s[-1]) for curve in curves.values()), default=0.0)
    baseline, load, cooldown = phases(events, last_tick_s)
    return RunData(
        curves=curves,
        load=load,
        baseline=baseline,
        cooldown=cooldown,
        load_stats=read_load_stats(run_dir),
        log_counts=count_log_warnings(run_dir) | count_egress_refusals(events),
        target_exit=target_exit_of(events),
        fault_windows=fault_windows(events, last_tick_s),
        pauses=pauses_of(events),
        calls=call_curves(run_dir, wall_minus_run_s),
        catalogue=read_catalogue(reader),
        accepted=accepted_curve(run_dir, wall_minus_run_s),
        answer_latency=answer_latency_points(run_dir, wall_minus_run_s),
    )
