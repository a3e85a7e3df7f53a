"""Verdict for a run directory from what is stored there (works on runs that were killed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from harness.accounting.join import JoinSettings, account
from harness.accounting.tally import Window
from harness.analysis.flow_table import FlowRow, flow_rows
from harness.analysis.flows import Accounting
from harness.analysis.heap_growth import HeapGrowth, growth_document
from harness.analysis.knee import Knee
from harness.analysis.model import RunData, Status, Verdict
from harness.analysis.partial import clip_run_data
from harness.analysis.reach import upstreams_reached
from harness.analysis.rules import ALIVE
from harness.analysis.verdict import judge
from harness.collector.store import SampleReader, StoreError
from harness.config import RunSpec
from harness.heapsnap.evidence import with_heap_evidence
from harness.interception.notes import interception_notes
from harness.report.documents import read_run_info
from harness.report.faults import FaultRow, fault_bands, fault_rows
from harness.report.flow_rows import accounting_notes, row_document
from harness.report.heap import growth_terminal
from harness.report.html import PHASE_COLOURS, PageExtras, render_html, report_tables
from harness.report.junit import junit_xml
from harness.report.knee import knee_document, knee_of, knee_table
from harness.report.layout import chart_plan
from harness.report.load_results import KNEE_NOTE, limits_for, with_bad_input
from harness.report.rundata import read_run_data, wall_minus_run_s_of
from harness.report.summary import summary_markdown
from harness.report.svg import Band
from harness.rundir import SAMPLES, VERDICT, RunFileError, events_until, read_events, write_json, write_text
from harness.runstate import RunEnd, read_run_end
from scenarios.kinds import kinds_of

VERDICT_SCHEMA_VERSION = 1
EXIT_CODES = {Status.PASS: 0, Status.FAIL: 1, Status.INCONCLUSIVE: 3}


class ReportError(Exception):
    """A run directory that cannot be judged; the message is one line."""


def load_run_info(run_dir: Path) -> tuple[dict[str, Any], RunSpec]:
    """run.json as written by the runner, and the spec inside it."""
    try:
        info, checked = read_run_info(run_dir)
    except RunFileError as exc:
        raise ReportError(str(exc)) from None
    return info, checked.spec


def collector_notes(reader: SampleReader) -> list[str]:
    """How well the run was measured: damage to the store, tick lateness, metrics that could not be measured."""
    notes = []
    lateness_s = reader.lateness_s()
    if lateness_s.size:
        p99_s = float(np.sort(lateness_s)[min(lateness_s.size - 1, int(0.99 * lateness_s.size))])
        notes.append(f"collector: {lateness_s.size} ticks, lateness p99 {p99_s * 1000:.1f} ms")
    for name, reason in sorted(reader.unavailable().items()):
        if name.startswith("collector.") and name.endswith(".first_error"):
            probe = name.removeprefix("collector.").removesuffix(".first_error")
            notes.append(
                f"collector: the {probe} probe raised, first: {reason}; its values are missing on those ticks "
                f"(count: collector.{probe}.errors_total)"
            )
            continue
        notes.append(f"not measured: {name} ({reason})")
    return reader.damage() + notes  # last: damage met while reading anything above is included


def _open(run_dir: Path) -> SampleReader:
    try:
        return SampleReader(run_dir / SAMPLES)
    except StoreError as exc:
        raise ReportError(str(exc)) from None


def phase_bands(data: RunData, warmup_s: float) -> list[Band]:
    load = data.load
    warm_end_s = min(load.end_s, load.start_s + warmup_s)
    bands = [
        Band(load.start_s, warm_end_s, "warm-up", PHASE_COLOURS["warm-up"]),
        Band(warm_end_s, load.end_s, "load (judged)", PHASE_COLOURS["load"]),
    ]
    if data.baseline is not None:
        bands.insert(0, Band(data.baseline.start_s, data.baseline.end_s, "baseline", PHASE_COLOURS["baseline"]))
    if data.cooldown is not None:
        bands.append(Band(data.cooldown.start_s, data.cooldown.end_s, "cool-down", PHASE_COLOURS["cool-down"]))
    return bands


@dataclass(frozen=True)
class Judged:
    """A verdict with what was judged and what a reader must know beside it."""

    verdict: Verdict
    data: RunData
    notes: list[str]
    warmup_s: float
    end: RunEnd | None = None  # how the run ended; its note heads every report of a partial run
    knee: Knee | None = None  # a knee run's steps and the rate held


def write_outputs(run_dir: Path, judged: Judged, units: dict[str, str]) -> None:
    """Everything a person or a CI system reads: verdict.json, junit.xml, summary.md, report.html."""
    verdict, notes, data = judged.verdict, judged.notes, judged.data
    last_tick_s = max((float(curve.t_s[-1]) for curve in data.curves.values() if len(curve.t_s)), default=0.0)
    faults = fault_rows(data.fault_windows, verdict)
    accounting = data.accounting
    flows = [] if accounting is None else flow_rows(accounting, data.load.start_s + judged.warmup_s)
    partial = judged.end.note if judged.end is not None else None
    growth = data.heap_growth
    document = verdict_document(run_dir, verdict, notes, faults, flows, growth=growth) | _lifecycle_document(judged)
    tables = report_tables(flows, growth)
    knee = [] if judged.knee is None else [knee_table(judged.knee)]
    if judged.knee is not None:
        document["knee"] = knee_document(judged.knee)
        tables["work"] = [*tables.get("work", []), *knee]
    write_json(run_dir / VERDICT, document)
    write_text(run_dir / "junit.xml", junit_xml(run_dir.name, verdict, last_tick_s))
    summary = summary_markdown(run_dir.name, verdict, notes, faults, flows, partial=partial, growth=growth, tables=knee)
    write_text(run_dir / "summary.md", summary)
    plan = chart_plan(verdict, data, units)
    extras = PageExtras(
        phases=phase_bands(data, judged.warmup_s),
        faults=faults,
        fault_bands=fault_bands(data.fault_windows),
        partial=partial,
        tables=tables,
    )
    write_text(run_dir / "report.html", render_html(run_dir.name, verdict, data, notes, plan, extras=extras))


def _lifecycle_document(judged: Judged) -> dict[str, Any]:
    """How the run ended (null when it ran to the end) and the target's death, if it died."""
    death = judged.data.target_exit
    return {
        "partial": judged.end.document() if judged.end is not None else None,
        "target_exit": None
        if death is None
        else {"t_s": death.t_s, "cause": death.cause, "log_tail": list(death.log_tail)},
    }


def verdict_document(
    run_dir: Path,
    verdict: Verdict,
    notes: list[str],
    faults: Sequence[FaultRow] = (),
    flows: Sequence[FlowRow] = (),
    *,
    growth: HeapGrowth | None = None,
) -> dict[str, Any]:
    document = {
        "schema_version": VERDICT_SCHEMA_VERSION,
        "run": run_dir.name,
        "status": verdict.status.value,
        "exit_code": EXIT_CODES[verdict.status],
        "notes": notes,
        "fault_windows": [row.document() for row in faults],
        "flows": [row_document(row) for row in flows],
        "checks": [
            {
                "name": check.name,
                "status": check.status.value,
                "figure": check.figure,
                "limit": check.limit,
                "unit": check.unit,
                "span_s": [check.span.start_s, check.span.end_s] if check.span else None,
                "peak_span_s": [check.peak_span.start_s, check.peak_span.end_s] if check.peak_span else None,
                "detail": check.detail,
                "evidence": list(check.evidence),
                "metric": check.metric,
                # Only on failing memory checks: the kinds of object the heap gained.
                **({"heap_growth": growth_document(check.heap_growth)} if check.heap_growth else {}),
            }
            for check in verdict.checks
        ],
    }
    if growth is not None:
        document["heap_growth"] = growth_document(growth)
    return document


def _last_tick_s(reader: SampleReader) -> float | None:
    """The collector's last tick: it runs inside soak, so this is soak's last sign of life."""
    alive = reader.series(ALIVE)
    return float(alive.t_s[-1]) if alive is not None and alive.t_s.size else None


def _events(run_dir: Path) -> list[dict[str, Any]]:
    try:
        return read_events(run_dir)
    except RunFileError as exc:
        raise ReportError(str(exc)) from None


def reached_by(spec: RunSpec) -> dict[str, str]:
    """The upstreams the profile's scenario must reach; none known for a scenario of the user's own."""
    kinds = kinds_of(spec.load.scenario, spec.load.mix)
    if kinds is None:
        return {}
    by_callback = spec.mocks.cursor_runner.mode != "sync"
    # Whether the service sends status messages (S) is its own setting, unknown here: not counted on.
    return upstreams_reached(kinds, results_by_callback=by_callback, debug=False)


def join_settings(spec: RunSpec, data: RunData, events: list[dict[str, Any]]) -> JoinSettings | None:
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


def accounting_of(run_dir: Path, settings: JoinSettings | None) -> Accounting | None:
    """Every update sent joined with the calls the mocks saw (None when the scenario logged none)."""
    return None if settings is None else account(run_dir, settings)


@dataclass(frozen=True)
class Record:
    """A run directory read for judging: what was recorded, the profile, how the run ended."""

    data: RunData
    spec: RunSpec
    end: RunEnd
    notes: list[str]
    units: dict[str, str]  # unit of each recorded metric, from the store's catalogue
    knee: Knee | None = None  # a knee run's steps and the rate held


def read_record(run_dir: Path) -> Record:
    """Everything judging and the reports need from a run directory, read once."""
    info, spec = load_run_info(run_dir)
    reader = _open(run_dir)
    try:
        end = read_run_end(run_dir, info, _last_tick_s(reader))
        events = _events(run_dir)
        if end.stopped_at_s is not None:
            events = events_until(events, end.stopped_at_s)
        data = read_run_data(reader, run_dir, events)
        if end.stopped_at_s is not None:
            data = clip_run_data(data, end.stopped_at_s)
        settings = join_settings(spec, data, events)
        data = replace(data, reached=reached_by(spec), accounting=accounting_of(run_dir, settings))
        data, heap_notes = with_heap_evidence(run_dir, events, data)
        notes = interception_notes(info, events) + collector_notes(reader) + accounting_notes(data.accounting)
        notes += heap_notes
        knee = knee_of(run_dir, spec, settings)
        if knee is not None:
            notes += [KNEE_NOTE, f"knee: {knee.verdict}"]
        units = {metric.name: metric.unit for metric in reader.metrics()}
    finally:
        reader.close()
    return Record(data, spec, end, notes, units, knee)


def judge_run(run_dir: Path) -> Verdict:
    """Recompute the verdict from stored data and write every report file."""
    record = read_record(run_dir)
    limits = limits_for(record.spec)
    verdict = with_bad_input(judge(record.data, limits), run_dir, record.data)
    judged = Judged(verdict, record.data, record.notes, limits.warmup_s, record.end, record.knee)
    write_outputs(run_dir, judged, record.units)
    return judged.verdict


def describe(verdict: Verdict) -> list[str]:
    """Lines for the terminal: one per check, the failing ones named first, then the heap's
    top growers when a failing memory check carries them."""
    ordered = sorted(verdict.checks, key=lambda check: check.status is not Status.FAIL)
    lines = [f"  {check.status.value.upper():12} {check.name}: {check.detail}" for check in ordered]
    growth = next((check.heap_growth for check in ordered if check.heap_growth is not None), None)
    return lines + (growth_terminal(growth) if growth is not None else [])
