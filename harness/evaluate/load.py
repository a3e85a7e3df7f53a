"""Reading a run directory into RunData: the store, events, Locust's stats and history, the mocks'
records, the per-update accounting, heap snapshots, a knee run's steps (works on killed runs)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.accounting.join import JoinSettings, account
from harness.accounting.tally import Window
from harness.analysis.knee import limits_for
from harness.analysis.model import RecordHealth, RunData
from harness.analysis.partial import clip_run_data
from harness.analysis.reach import upstreams_reached
from harness.analysis.rules import ALIVE
from harness.collector.store import SampleReader, StoreError
from harness.config import RunSpec
from harness.documents.events import Event, events_until, read_events
from harness.documents.run_info import read_run_info
from harness.evaluate.knee_steps import knee_of
from harness.evaluate.locust_stats import read_bad_input
from harness.evaluate.rundata import read_run_data, wall_minus_run_s_of
from harness.heapsnap.evidence import with_heap_evidence
from harness.interception.notes import interception_notes
from harness.rundir import SAMPLES, RunFileError
from harness.runstate import read_run_end
from scenarios.kinds import kinds_of


class EvaluateError(Exception):
    """A run directory that cannot be judged; the message is one line."""


def _open(run_dir: Path) -> SampleReader:
    try:
        return SampleReader(run_dir / SAMPLES)
    except StoreError as exc:
        raise EvaluateError(str(exc)) from None


def _last_tick_s(reader: SampleReader) -> float | None:
    """The collector's last tick: it runs inside soak, so this is soak's last sign of life."""
    alive = reader.series(ALIVE)
    return float(alive.t_s[-1]) if alive is not None and alive.t_s.size else None


def _events(run_dir: Path) -> list[Event]:
    try:
        return read_events(run_dir)
    except RunFileError as exc:
        raise EvaluateError(str(exc)) from None


def reached_by(spec: RunSpec) -> dict[str, str]:
    """The upstreams the profile's scenario must reach; none known for a scenario of the user's own."""
    kinds = kinds_of(spec.load.scenario, spec.load.mix)
    if kinds is None:
        return {}
    by_callback = spec.mocks.cursor_runner.mode != "sync"
    # Whether the service sends status messages (S) is its own setting, unknown here: not counted on.
    return upstreams_reached(kinds, results_by_callback=by_callback, debug=False)


def join_settings(spec: RunSpec, data: RunData, events: list[Event]) -> JoinSettings | None:
    """How the run's records are joined (None without a clock offset to place them)."""
    offset_s = wall_minus_run_s_of(events)
    if offset_s is None:
        return None
    limits = spec.thresholds
    return JoinSettings(
        wall_minus_run_s=offset_s,
        window=Window(data.load.start_s, limits.work_window_s),
        timeout_s=limits.completion_timeout_s,
        fault_spans=tuple(window.span for window in data.fault_windows),
        results_by_callback=spec.mocks.cursor_runner.mode != "sync",
        records_end_s=data.cooldown.end_s if data.cooldown is not None else data.load.end_s,
    )


def _with_records(run_dir: Path, spec: RunSpec, data: RunData, events: list[Event]) -> RunData:
    """data with what the records beside the store add: accounting, heap evidence, the knee, bad input."""
    settings = join_settings(spec, data, events)
    accounting = None if settings is None else account(run_dir, settings)
    data = replace(data, reached=reached_by(spec), accounting=accounting)
    data, heap_notes = with_heap_evidence(run_dir, events, data)
    knee = knee_of(run_dir, spec, settings)
    return replace(data, heap_notes=tuple(heap_notes), knee=knee, bad_input=read_bad_input(run_dir))


def load_run(run_dir: Path) -> RunData:
    """Everything judging and the reports need from a run directory, read once."""
    try:
        info, checked = read_run_info(run_dir)
    except RunFileError as exc:
        raise EvaluateError(str(exc)) from None
    spec = checked.spec
    reader = _open(run_dir)
    try:
        end = read_run_end(run_dir, info, _last_tick_s(reader))
        events = _events(run_dir)
        if end.stopped_at_s is not None:
            events = events_until(events, end.stopped_at_s)
        data = read_run_data(reader, run_dir, events)
        if end.stopped_at_s is not None:
            data = clip_run_data(data, end.stopped_at_s)
        data = _with_records(run_dir, spec, data, events)
        lateness_s, unavailable = reader.lateness_s(), reader.unavailable()
        damage = tuple(reader.damage())  # last: damage met while reading anything above is included
    finally:
        reader.close()
    health = RecordHealth(lateness_s, unavailable, damage)
    notes = tuple(interception_notes(checked.interception, events))
    return replace(data, thresholds=limits_for(spec), end=end, health=health, notes=notes)
