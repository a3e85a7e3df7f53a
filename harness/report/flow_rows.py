"""The per-flow accounting table as verdict.json, summary.md and report.html show it, and what the
accounting could not attribute, as notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.analysis.flow_table import FlowRow
from shared import human


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
    return "-" if value_s is None else human.duration(value_s)


def calls_text(row: FlowRow) -> str:
    return ", ".join(f"{up} {human.number(n)}" for up, n in row.per_update().items()) or "-"


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
