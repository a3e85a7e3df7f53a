"""report.html: the verdict first, then memory, handles, work, upstream faults and, collapsed,
everything else, with interactive charts; one self-contained file that opens offline.

A function of (Verdict, RunData, notes, chart plan): it reads no store and computes no figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, Template, select_autoescape

from harness.analysis.flow_table import FlowRow
from harness.analysis.flows import CALLBACK_FLOW
from harness.analysis.heap_growth import HeapGrowth
from harness.analysis.model import RunData, Status, Verdict
from harness.report.assets import assets
from harness.report.chartspec import ChartPlan, Table
from harness.report.faults import FaultRow, fault_bands, pause_legend
from harness.report.flow_rows import calls_text, latency_text
from harness.report.heap import grower_rows, heading
from harness.report.page_data import page_document, script_json, time_range
from harness.report.readable import failing_first, figure_text, lead, limit_text, named_line, span_text
from harness.report.svg import Band
from shared import human

TEMPLATE = Path(__file__).parent / "templates" / "report.html.j2"
PHASE_COLOURS = {"baseline": "#9e9e9e", "warm-up": "#f4b400", "load": "#4285f4", "cool-down": "#0f9d58"}


@dataclass(frozen=True)
class PageExtras:
    """What a report shows beside the verdict and the charts."""

    phases: Sequence[Band] = ()
    faults: Sequence[FaultRow] = ()
    fault_bands: Sequence[Band] = ()
    partial: str | None = None  # how a run cut short stopped
    tables: Mapping[str, Sequence[Table]] = field(default_factory=dict)  # section id -> tables under its charts


def _flow_table(flows: Sequence[FlowRow]) -> Table:
    columns = ("flow", "part", "updates", "completed", "lost", "not completed in faults", "calls per update",
               "jobs", "e2e p50 / p95")  # fmt: skip
    rows = tuple((r.flow, r.part, str(r.updates), str(r.completed), str(r.lost), str(r.explained), calls_text(r),
                  str(r.jobs), latency_text(r)) for r in flows)  # fmt: skip
    return Table("Updates by flow", columns, rows)


def _growth_table(growth: HeapGrowth) -> Table:
    columns = ("kind (leak root)", "new roots", "per 1,000 updates", "holding", "objects", "carries",
               "retainer paths (samples)")  # fmt: skip
    rows = tuple(
        (g.kind, str(g.new_roots), g.per_1000, g.retained, g.objects, g.carries,
         "; ".join(f"{samples}× {path}" for path, samples in g.paths))
        for g in grower_rows(growth)
    )  # fmt: skip
    note = f"Noise: {growth.noise}." if rows else f"No kind of object grew beyond noise ({growth.noise})."
    return Table(heading(growth).replace("`", ""), columns, rows, note)


def report_tables(flows: Sequence[FlowRow], growth: HeapGrowth | None) -> dict[str, list[Table]]:
    """The accounting's updates by flow under the work charts; the heap snapshots' top growers
    under the memory charts."""
    tables: dict[str, list[Table]] = {}
    if flows:
        tables["work"] = [_flow_table(flows)]
    if growth is not None:
        tables["memory"] = [_growth_table(growth)]
    return tables


@cache
def _template() -> Template:
    env = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


def _rows(verdict: Verdict, plan: ChartPlan) -> list[dict[str, Any]]:
    return [
        {
            "check": check,
            "figure": figure_text(check),
            "limit": limit_text(check),
            "span": span_text(check.span),
            "chart": plan.check_charts.get(check.name),
            "no_chart": plan.no_chart.get(check.name, ""),
            "open": check.status is Status.FAIL,
        }
        for check in failing_first(verdict.checks)
    ]


def _work_summary(data: RunData) -> list[str]:
    """The load and the end-to-end accounting in one or two lines."""
    lines = []
    if (stats := data.load_stats) is not None:
        p95 = f", webhook p95 {human.duration(stats.p95_s)}" if stats.p95_s is not None else ""
        lines.append(
            f"{human.count(stats.requests)} updates sent, {human.count(stats.failures)} failed at the webhook{p95}."
        )
    if (accounting := data.accounting) is not None and accounting.windows:
        updates = [w for w in accounting.windows if w.flow != CALLBACK_FLOW]  # callbacks are counted in their update
        completed, lost = sum(w.completed for w in updates), sum(w.lost for w in updates)
        explained = sum(w.explained for w in updates)
        late = f", {human.count(accounting.not_judged)} sent too late to tell" if accounting.not_judged else ""
        lines.append(
            f"End to end: {human.count(completed)} of {human.count(accounting.updates_total)} updates completed "
            f"within {human.duration(accounting.timeout_s)}, {human.count(lost)} lost, {human.count(explained)} "
            f"not completed during injected faults{late}."
        )
    return lines


def render_html(
    run: str,
    verdict: Verdict,
    data: RunData,
    notes: Sequence[str],
    plan: ChartPlan,
    *,
    extras: PageExtras | None = None,
) -> str:
    extras = extras or PageExtras()
    code = assets()
    document = page_document(plan, extras.phases, extras.fault_bands, {"time": time_range(data.curves.values())})
    found = lead(verdict)
    return _template().render(
        run=run,
        status=verdict.status.value,
        lead=found.text,
        named=[named_line(check) for check in found.named],
        named_ids=[check.name for check in found.named],
        partial=extras.partial,
        death=data.target_exit,
        rows=_rows(verdict, plan),
        sections=plan.sections,
        tables=extras.tables,
        work_summary=_work_summary(data),
        faults=extras.faults,
        notes=notes,
        flat=[(f.name, human.figure(f.value, _figure_unit(f.unit)), f.samples) for f in plan.flat],
        bands=[*extras.phases, *fault_bands(data.fault_windows), *pause_legend(data.pauses)],
        data_json=script_json(document),
        script=code.script,
        style=code.style,
        missing=code.missing,
        fail=Status.FAIL.value,
    )


def _figure_unit(unit: str) -> str:
    """A catalogue unit as human.figure spells it."""
    return {"bytes": "B", "seconds": "s", "count": "", "percent": "%", "bool": ""}.get(unit, unit)
