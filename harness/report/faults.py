"""Fault windows for the reader: a row each (what, when, which checks moved) and a band per chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.analysis.model import FaultWindow, Verdict
from harness.analysis.work_windows import checks_moved
from harness.report.svg import Band

FAULT_COLOUR = "#d93025"


@dataclass(frozen=True)
class FaultRow:
    window: FaultWindow
    moved: tuple[str, ...]  # checks whose figure was reached during the window

    def document(self) -> dict[str, Any]:
        w = self.window
        return {
            "upstream": w.upstream,
            "route": w.route,
            "kind": w.kind,
            "start_s": w.span.start_s,
            "end_s": w.span.end_s,
            "checks_moved": list(self.moved),
        }

    def line(self) -> str:
        moved = ", ".join(self.moved) if self.moved else "none"
        return f"{self.window.label}: checks that moved: {moved}"


def fault_rows(windows: Sequence[FaultWindow], verdict: Verdict) -> list[FaultRow]:
    return [FaultRow(window, tuple(checks_moved(window, verdict.checks))) for window in windows]


def fault_bands(windows: Sequence[FaultWindow]) -> list[Band]:
    return [Band(w.span.start_s, w.span.end_s, f"fault: {w.label}", FAULT_COLOUR) for w in windows]
