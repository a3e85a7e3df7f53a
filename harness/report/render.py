"""Every file a verdict is rendered into (verdict.json, junit.xml, summary.md, report.html), from
(Verdict, RunData) alone, and the verdict's lines for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.analysis.flow_table import FlowRow, flow_rows
from harness.analysis.heap_growth import HeapGrowth, growth_document
from harness.analysis.model import Check, RunData, Status, Verdict
from harness.documents.verdict import (
    VERDICT_SCHEMA_VERSION,
    CheckDocument,
    PartialDocument,
    TargetExitDocument,
    VerdictDocument,
)
from harness.report.faults import FaultRow, fault_bands, fault_rows, pause_bands
from harness.report.flow_rows import row_document
from harness.report.heap import growth_terminal
from harness.report.html import PHASE_COLOURS, PageExtras, render_html, report_tables
from harness.report.junit import junit_xml
from harness.report.knee import knee_document, knee_table
from harness.report.layout import chart_plan
from harness.report.summary import summary_markdown
from harness.report.svg import Band
from harness.rundir import VERDICT, write_json, write_text

EXIT_CODES = {Status.PASS: 0, Status.FAIL: 1, Status.INCONCLUSIVE: 3}


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


def write_outputs(run_dir: Path, verdict: Verdict, data: RunData) -> None:
    """Everything a person or a CI system reads: verdict.json, junit.xml, summary.md, report.html."""
    notes = list(verdict.notes)
    last_tick_s = max((float(curve.t_s[-1]) for curve in data.curves.values() if len(curve.t_s)), default=0.0)
    accounting = data.accounting
    faults = fault_rows(data.fault_windows, verdict, accounting)
    flows = [] if accounting is None else flow_rows(accounting, data.load.start_s + verdict.warmup_s)
    partial = data.end.note if data.end is not None else None
    growth = data.heap_growth
    document = verdict_document(run_dir, verdict, notes, faults, flows, growth=growth, data=data)
    tables = report_tables(flows, growth)
    knee = [] if data.knee is None else [knee_table(data.knee)]
    if data.knee is not None:
        tables["work"] = [*tables.get("work", []), *knee]
    write_json(run_dir / VERDICT, document.document())
    write_text(run_dir / "junit.xml", junit_xml(run_dir.name, verdict, last_tick_s))
    summary = summary_markdown(run_dir.name, verdict, notes, faults, flows, partial=partial, growth=growth, tables=knee)
    write_text(run_dir / "summary.md", summary)
    plan = chart_plan(verdict, data, {name: info.unit for name, info in data.catalogue.items()})
    extras = PageExtras(
        phases=phase_bands(data, verdict.warmup_s),
        faults=faults,
        fault_bands=[*fault_bands(data.fault_windows), *pause_bands(data.pauses)],
        partial=partial,
        tables=tables,
    )
    write_text(run_dir / "report.html", render_html(run_dir.name, verdict, data, notes, plan, extras=extras))


def _check_document(check: Check) -> CheckDocument:
    return CheckDocument(
        name=check.name,
        status=check.status,
        figure=check.figure,
        limit=check.limit,
        unit=check.unit,
        span_s=(check.span.start_s, check.span.end_s) if check.span else None,
        peak_span_s=(check.peak_span.start_s, check.peak_span.end_s) if check.peak_span else None,
        detail=check.detail,
        evidence=list(check.evidence),
        metric=check.metric,
        heap_growth=growth_document(check.heap_growth) if check.heap_growth else None,
    )


def verdict_document(
    run_dir: Path,
    verdict: Verdict,
    notes: list[str],
    faults: Sequence[FaultRow] = (),
    flows: Sequence[FlowRow] = (),
    *,
    growth: HeapGrowth | None = None,
    data: RunData | None = None,
) -> VerdictDocument:
    """verdict.json's document; data adds how a partial run ended, the target's death and a knee."""
    death = data.target_exit if data is not None else None
    end = data.end if data is not None else None
    knee = data.knee if data is not None else None
    return VerdictDocument(
        schema_version=VERDICT_SCHEMA_VERSION,
        run=run_dir.name,
        status=verdict.status,
        exit_code=EXIT_CODES[verdict.status],
        warmup_s=verdict.warmup_s,
        notes=notes,
        fault_windows=[row.document() for row in faults],
        flows=[row_document(row) for row in flows],
        checks=[_check_document(check) for check in verdict.checks],
        heap_growth=growth_document(growth) if growth is not None else None,
        partial=PartialDocument.model_validate(end.document()) if end is not None and end.partial else None,
        target_exit=None
        if death is None
        else TargetExitDocument(t_s=death.t_s, cause=death.cause, log_tail=list(death.log_tail)),
        knee=knee_document(knee) if knee is not None else None,
    )


def describe(verdict: Verdict) -> list[str]:
    """Lines for the terminal: one per check, the failing ones named first, then the heap's
    top growers when a failing memory check carries them."""
    ordered = sorted(verdict.checks, key=lambda check: check.status is not Status.FAIL)
    lines = [f"  {check.status.value.upper():12} {check.name}: {check.detail}" for check in ordered]
    growth = next((check.heap_growth for check in ordered if check.heap_growth is not None), None)
    return lines + (growth_terminal(growth) if growth is not None else [])
