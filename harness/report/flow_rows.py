"""The per-flow accounting table as verdict.json, summary.md and report.html show it, and what the
accounting could not attribute, as notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.analysis.flow_table import FlowRow
from harness.analysis.flows import Accounting


def row_document(row: FlowRow) -> dict[str, Any]:
    return {
        "flow": row.flow,
        "part": row.part,
        "updates": row.updates,
        "completed": row.completed,
        "lost": row.lost,
        "not_completed_in_faults": row.explained,
        "forwarded": row.forwarded,
        "jobs": row.jobs,
        "calls": dict(sorted(row.calls.items())),
        "calls_per_update": row.per_update(),
        "e2e_p50_s": row.p50_s,
        "e2e_p95_s": row.p95_s,
    }


def _ms(value_s: float | None) -> str:
    return "-" if value_s is None else f"{value_s * 1000:.0f} ms"


def calls_text(row: FlowRow) -> str:
    return ", ".join(f"{up} {n:g}" for up, n in row.per_update().items()) or "-"


def latency_text(row: FlowRow) -> str:
    return f"{_ms(row.p50_s)} / {_ms(row.p95_s)}"


def markdown_lines(rows: Sequence[FlowRow]) -> list[str]:
    lines = [
        "| flow | part | updates | completed | lost | not completed in faults | calls per update | jobs "
        "| e2e p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.flow} | {r.part} | {r.updates} | {r.completed} | {r.lost} | {r.explained} "
                     f"| {calls_text(r)} | {r.jobs} | {latency_text(r)} |")  # fmt: skip
    return lines


def accounting_notes(accounting: Accounting | None) -> list[str]:
    """What a reader needs beside the table: updates not judged, calls no update could be named for."""
    if accounting is None:
        return []
    notes = [f"accounting: {accounting.updates_total} updates accepted, {accounting.not_judged} sent too close "
             f"to the end of the records to be judged (completion timeout {accounting.timeout_s:.0f} s)"]  # fmt: skip
    if accounting.unattributed:
        parts = ", ".join(f"{key} {n}" for key, n in sorted(accounting.unattributed.items()))
        notes.append(f"accounting: calls whose correlation keys match no update in its timeout: {parts}")
    for reason, count in sorted(accounting.apart.items()):
        notes.append(f"accounting: {count} calls counted apart, not failed: {reason}")
    return notes
