"""A knee run's figures for verdict.json and the step table of summary.md and report.html."""

from __future__ import annotations

from typing import Any

from harness.analysis.knee import NOT_DONE, Knee
from harness.report.chartspec import Table
from shared import human


def knee_document(knee: Knee) -> dict[str, Any]:
    """verdict.json's "knee": the rate held, why it stopped there, and the step table."""
    return {
        "rate": knee.rate,
        "unit": "updates/s",
        "verdict": knee.verdict,
        "steps": [
            {
                "step": s.figures.step,
                "rate": s.figures.rate,
                "achieved_rate": round(s.achieved_rate, 2),
                "span_s": [round(s.figures.span.start_s, 3), round(s.figures.span.end_s, 3)],
                "sent": s.figures.sent,
                "judged": s.figures.judged,
                "errors": s.figures.errors,
                "p95_s": s.figures.p95_s,
                "e2e_p95_s": None if s.e2e_p95_s is None or s.e2e_p95_s == NOT_DONE else s.e2e_p95_s,
                "e2e_done": s.e2e_p95_s != NOT_DONE,
                "e2e_flow": s.e2e_flow,
                "held": s.held,
                "crossed": list(s.crossed),
                "load_average": s.figures.load_average,
            }
            for s in knee.steps
        ],
    }


def knee_table(knee: Knee) -> Table:
    """The step table for summary.md and report.html."""
    rows = []
    for s in knee.steps:
        p95 = "-" if s.figures.p95_s is None else human.duration(s.figures.p95_s)
        e2e = "-" if s.e2e_p95_s is None else "not done" if s.e2e_p95_s == NOT_DONE else human.duration(s.e2e_p95_s)
        held = "yes" if s.held else "no: " + "; ".join(s.crossed)
        load = "-" if s.figures.load_average is None else f"{s.figures.load_average:.1f}"
        cells = (str(s.figures.step), f"{s.figures.rate:g}", f"{s.achieved_rate:.1f}", str(s.figures.sent),
                 str(s.figures.errors), p95, e2e, load, held)  # fmt: skip
        rows.append(cells)
    note = (f"{knee.verdict}. Each step is judged on its last two thirds; webhook p95 from the scheduled "
            "send time (open model), e2e p95 of the slowest flow; the machine's load average beside it, as a "
            "knee moves with the CPU the service gets.")  # fmt: skip
    columns = ("step", "rate (updates/s)", "achieved", "sent", "errors", "webhook p95", "e2e p95", "load avg",
               "held")  # fmt: skip
    return Table("Knee", columns, tuple(rows), note)
