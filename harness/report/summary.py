"""verdict -> summary.md: the verdict and each check's evidence in a few lines of Markdown."""

from __future__ import annotations

from collections.abc import Sequence

from harness.analysis.model import Status, Verdict
from harness.report.faults import FaultRow

_MARK = {Status.PASS: "pass", Status.FAIL: "**FAIL**", Status.INCONCLUSIVE: "_inconclusive_"}


def summary_markdown(
    run_name: str,
    verdict: Verdict,
    notes: Sequence[str] = (),
    faults: Sequence[FaultRow] = (),
    *,
    partial: str | None = None,
) -> str:
    lines = [f"# soak run `{run_name}`: {verdict.status.value.upper()}", ""]
    if partial:
        lines += [f"**{partial}**", ""]
    lines += [
        "| check | result | measured on (s) | evidence |",
        "|---|---|---|---|",
    ]
    for check in sorted(verdict.checks, key=lambda c: c.status is not Status.FAIL):
        span = f"{check.span.start_s:.0f}-{check.span.end_s:.0f}" if check.span else "-"
        lines.append(f"| {check.name} | {_MARK[check.status]} | {span} | {check.detail} |")
    for check in verdict.checks:
        if check.evidence:
            lines += ["", f"## {check.name}", "", "```text", *check.evidence, "```"]
    if faults:
        lines += ["", "## Fault windows", "", *(f"- {row.line()}" for row in faults)]
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"
