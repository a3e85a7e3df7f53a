"""The per-update accounting as a table for the reader: each flow's updates, outcomes, calls per
update by upstream and end-to-end latency, steady state and fault windows apart (judged windows only)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis.flows import FLOWS, LATENCY_BOUNDS_S, Accounting, FlowWindow, latency_quantile_s

STEADY, FAULTED = "steady", "during faults"


@dataclass(frozen=True)
class FlowRow:
    flow: str
    part: str  # STEADY or FAULTED
    updates: int
    completed: int
    lost: int
    explained: int
    forwarded: int
    jobs: int
    calls: dict[str, int]  # by upstream
    p50_s: float | None
    p95_s: float | None

    def per_update(self) -> dict[str, float]:
        return {up: round(n / self.updates, 3) for up, n in sorted(self.calls.items())} if self.updates else {}


def _row(flow: str, part: str, windows: Sequence[FlowWindow]) -> FlowRow:
    calls: Counter[str] = Counter()
    latency = [0] * (len(LATENCY_BOUNDS_S) + 1)
    for window in windows:
        for key, count in window.calls.items():
            calls[key.split(".", 1)[0]] += count
        latency = [a + b for a, b in zip(latency, window.latency_counts, strict=True)]
    counts = tuple(latency)
    return FlowRow(
        flow,
        part,
        sum(w.updates for w in windows),
        sum(w.completed for w in windows),
        sum(w.lost for w in windows),
        sum(w.explained for w in windows),
        sum(w.forwarded for w in windows),
        sum(w.jobs for w in windows),
        dict(calls),
        latency_quantile_s(counts, 0.5),
        latency_quantile_s(counts, 0.95),
    )


def flow_rows(accounting: Accounting, judged_from_s: float) -> list[FlowRow]:
    """A row per flow and part that has updates, over the windows judged (after the warm-up); the
    updates an injected fault may have touched are the part "during faults"."""
    rows: list[FlowRow] = []
    for flow in FLOWS:
        windows = [w for w in accounting.windows if w.flow == flow and w.span.start_s >= judged_from_s]
        faulted = [w for w in windows if w.in_fault]
        steady = [w for w in windows if not w.in_fault]
        rows.extend(_row(flow, part, chosen) for part, chosen in ((STEADY, steady), (FAULTED, faulted)) if chosen)
    return rows
