"""verdict -> summary.md: the verdict first (what failed, in human units), each check's evidence,
the fault windows, the updates by flow and the heap's top growers, in a few lines of Markdown."""

from __future__ import annotations

from collections.abc import Sequence

from harness.analysis.flow_table import FlowRow
from harness.analysis.heap_growth import HeapGrowth
from harness.analysis.model import Status, Verdict
from harness.report.chartspec import Table
from harness.report.faults import FaultRow
from harness.report.flow_rows import markdown_lines
from harness.report.heap import growth_markdown
from harness.report.readable import failing_first, figure_text, lead, limit_text, named_line, span_text

_MARK = {Status.PASS: "pass", Status.FAIL: "**FAIL**", Status.INCONCLUSIVE: "_inconclusive_"}


def summary_markdown(
    run_name: str,
    verdict: Verdict,
    notes: Sequence[str] = (),
    faults: Sequence[FaultRow] = (),
    flows: Sequence[FlowRow] = (),
    *,
    partial: str | None = None,
    growth: HeapGrowth | None = None,
    tables: Sequence[Table] = (),
) -> str:
    lines = [f"# soak run `{run_name}`: {verdict.status.value.upper()}", ""]
    if partial:
        lines += [f"**{partial}**", ""]
    found = lead(verdict)
    lines += [found.text, *(f"- {named_line(check)}" for check in found.named), ""]
    lines += [
        "| check | result | figure | limit | measured on | evidence |",
        "|---|---|---:|---:|---|---|",
    ]
    for check in failing_first(verdict.checks):
        figures = f"{figure_text(check)} | {limit_text(check)} | {span_text(check.span)}"
        lines.append(f"| {check.name} | {_MARK[check.status]} | {figures} | {check.detail} |")
    for check in verdict.checks:
        if check.evidence:
            lines += ["", f"## {check.name}", "", "```text", *check.evidence, "```"]
    for table in tables:
        lines += ["", *_table_markdown(table)]
    if faults:
        lines += ["", "## Fault windows", "", *(f"- {row.line()}" for row in faults)]
    if flows:
        lines += ["", "## Updates by flow", "", *markdown_lines(flows)]
    if growth is not None:
        lines += growth_markdown(growth)
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def _table_markdown(table: Table) -> list[str]:
    lines = [f"## {table.title}", ""] + ([table.note, ""] if table.note else [])
    lines += ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    return lines + ["| " + " | ".join(row) + " |" for row in table.rows]
