"""Fault windows for the reader: a row each (what, when, what it did to the updates sent during it,
the target's reconnect after a Redis window, which checks moved) and a band per chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.analysis.churn_checks import UPSTREAMS
from harness.analysis.flows import Accounting, FaultWork
from harness.analysis.model import FaultWindow, Pause, Verdict
from harness.analysis.work_windows import checks_moved
from harness.report.svg import Band
from shared import human

FAULT_COLOUR = "#d93025"
PAUSE_COLOUR = "#8e44ad"  # soak's own pauses of the target: not the service's doing


@dataclass(frozen=True)
class FaultRow:
    window: FaultWindow
    moved: tuple[str, ...]  # checks whose figure was reached during the window
    work: FaultWork | None = None  # the updates sent during the window; None without accounting

    def document(self) -> dict[str, Any]:
        w = self.window
        return {
            "upstream": w.upstream,
            "route": w.route,
            "kind": w.kind,
            "start_s": w.span.start_s,
            "end_s": w.span.end_s,
            "checks_moved": list(self.moved),
            "updates": _work_document(self.work),
            "reconnected_after_s": w.reconnected_after_s,
            "not_reconnected_after_s": w.not_reconnected_after_s,
        }

    @property
    def work_text(self) -> str:
        """What the fault did to the updates sent during it, in words ("" without accounting)."""
        work = self.work
        if work is None:
            return ""
        if work.updates == 0:
            return "no update judged was sent during it"
        calls = ", ".join(
            f"{up} {human.number(work.calls_of(up) / work.updates)}" for up in UPSTREAMS if work.calls_of(up)
        )
        return (
            f"{work.updates} updates sent during it: {work.completed} completed, {work.not_completed} not "
            f"completed, {work.forwarded} forwarded; calls per update {calls or 'none'}"
        )

    @property
    def reconnect_text(self) -> str:
        w = self.window
        if w.reconnected_after_s is not None:
            return f"the target reconnected {human.duration(w.reconnected_after_s)} after it"
        if w.not_reconnected_after_s is not None:
            return f"the target had not reconnected {human.duration(w.not_reconnected_after_s)} after it"
        return ""

    def line(self) -> str:
        moved = ", ".join(self.moved) if self.moved else "none"
        details = [part for part in (self.work_text, self.reconnect_text, f"checks that moved: {moved}") if part]
        return f"{self.window.label}: {'; '.join(details)}"


def _work_document(work: FaultWork | None) -> dict[str, Any] | None:
    if work is None:
        return None
    per_update = {up: round(work.calls_of(up) / work.updates, 4) for up in UPSTREAMS if work.updates}
    return {
        "sent": work.updates,
        "completed": work.completed,
        "not_completed": work.not_completed,
        "forwarded": work.forwarded,
        "calls": dict(sorted(work.calls.items())),
        "calls_per_update": per_update,
    }


def fault_rows(
    windows: Sequence[FaultWindow], verdict: Verdict, accounting: Accounting | None = None
) -> list[FaultRow]:
    # The accounting was given these windows' spans (JoinSettings.fault_spans).
    work = {work.span: work for work in accounting.faults} if accounting is not None else {}
    return [FaultRow(window, tuple(checks_moved(window, verdict.checks)), work.get(window.span)) for window in windows]


def fault_bands(windows: Sequence[FaultWindow]) -> list[Band]:
    return [Band(w.span.start_s, w.span.end_s, f"fault: {w.label}", FAULT_COLOUR) for w in windows]


def pause_legend(pauses: Sequence[Pause]) -> list[Band]:
    """One legend entry per kind of pause, with how many and how long: a forced GC every 4 s made
    dozens of chips above the verdict, one per pause."""
    by_cause: dict[str, list[Pause]] = {}
    for pause in pauses:
        by_cause.setdefault(pause.cause, []).append(pause)
    entries = []
    for cause, same in by_cause.items():
        if len(same) == 1:
            label = same[0].label
        else:
            shortest, longest = min(p.duration_s for p in same), max(p.duration_s for p in same)
            lasting = (
                f"{shortest:.1f} s" if f"{shortest:.1f}" == f"{longest:.1f}" else f"{shortest:.1f}-{longest:.1f} s"
            )
            label = f"{cause}, {len(same)} times, {lasting} each"
        entries.append(
            Band(same[0].span.start_s, same[-1].span.end_s, f"soak paused the target: {label}", PAUSE_COLOUR)
        )
    return entries


def pause_bands(pauses: Sequence[Pause]) -> list[Band]:
    """soak's own pauses of the target (harness/analysis/pauses.py), shaded apart from faults."""
    return [Band(p.span.start_s, p.span.end_s, f"soak paused the target: {p.label}", PAUSE_COLOUR) for p in pauses]
