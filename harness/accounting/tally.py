"""Per-flow, per-window sums of closed updates: fixed size per window, whatever the update count."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.analysis.flows import KIND_FLOW, LATENCY_BOUNDS_S, Accounting, FaultWork, FlowWindow, latency_bucket
from harness.analysis.model import Span

if TYPE_CHECKING:
    from harness.accounting.pending import Pending


@dataclass(frozen=True)
class Window:
    """Windows of length_s by send time, counted from origin_s (the load's start)."""

    origin_s: float
    length_s: float

    def index(self, t_s: float) -> int:
        return math.floor((t_s - self.origin_s) / self.length_s)

    def span(self, index: int) -> Span:
        start_s = self.origin_s + index * self.length_s
        return Span(start_s, start_s + self.length_s)


@dataclass
class _Sums:
    updates: int = 0
    completed: int = 0
    lost: int = 0
    explained: int = 0
    jobs: int = 0
    forwarded: int = 0
    multi_job: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    latency: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_S) + 1))


class Tally:
    def __init__(self, window: Window, timeout_s: float, fault_spans: tuple[Span, ...]) -> None:
        self.window = window
        self.timeout_s = timeout_s
        self.fault_spans = fault_spans
        self.sums: dict[tuple[str, int, bool], _Sums] = {}
        self.by_fault = [_Sums() for _ in fault_spans]
        self.unattributed: Counter[str] = Counter()
        self.apart: Counter[str] = Counter()  # calls no update can be named for, with why
        self.refused = 0
        self.unanswered: Counter[str] = Counter()  # why -> updates without an answer never completed
        self.not_judged = 0
        self.total = 0

    def _sums(self, flow: str, update: Pending, in_fault: bool) -> _Sums:
        key = (flow, self.window.index(update.t_s), in_fault)
        found = self.sums.get(key)
        if found is None:
            found = self.sums[key] = _Sums()
        return found

    def _in_fault(self, update: Pending) -> bool:
        """Whether an injected fault may have touched the update: one of its calls was faulted, or it
        was sent during a fault window (or a window's length before or after it: in-flight work
        meets the fault, and its effects outlast it). Such updates are judged apart."""
        grace_s = self.window.length_s
        in_window = any(span.start_s - grace_s <= update.t_s <= span.end_s + grace_s for span in self.fault_spans)
        return update.faulted or in_window

    def add(self, update: Pending, *, judged: bool) -> None:
        self.total += 1
        if not judged:
            self.not_judged += 1
            return
        if update.no_answer is not None and update.done_s is None:
            # Never accepted, so nothing owed: neither lost nor a flow's cost (its calls, if any,
            # are the part the service did before it stopped; kept off every other update).
            self.unanswered[update.no_answer] += 1
            return
        in_fault = self._in_fault(update)
        sums = self._sums(update.flow(KIND_FLOW), update, in_fault)
        sums.updates += 1
        sums.calls.update(update.calls)
        sums.jobs += len(update.jobs)
        sums.forwarded += bool(update.jobs)
        sums.multi_job += len(update.jobs) > 1
        if update.done_s is not None:
            sums.completed += 1
            sums.latency[latency_bucket(update.done_s - update.t_s)] += 1
        elif in_fault:
            sums.explained += 1
        else:
            sums.lost += 1
        for callback_s in update.callbacks_s:
            self._callback(update, callback_s, in_fault)
        self._by_fault(update)

    def _by_fault(self, update: Pending) -> None:
        for span, sums in zip(self.fault_spans, self.by_fault, strict=True):
            if span.start_s <= update.t_s < span.end_s:
                sums.updates += 1
                sums.completed += update.done_s is not None
                sums.forwarded += bool(update.jobs)
                sums.calls.update(update.calls)

    def _callback(self, update: Pending, callback_s: float, in_fault: bool) -> None:
        """The C flow: a cursor-runner callback, completed when the result reply followed it."""
        sums = self._sums("callback", update, in_fault)
        sums.updates += 1
        result_s = update.result_after_s(callback_s)
        if result_s is not None:
            sums.completed += 1
            sums.latency[latency_bucket(result_s - callback_s)] += 1
        elif in_fault:
            sums.explained += 1
        else:
            sums.lost += 1

    def result(self) -> Accounting:
        windows = tuple(
            FlowWindow(
                flow,
                self.window.span(index),
                s.updates,
                s.completed,
                s.lost,
                s.explained,
                dict(s.calls),
                s.jobs,
                s.forwarded,
                s.multi_job,
                tuple(s.latency),
                in_fault,
            )
            for (flow, index, in_fault), s in sorted(self.sums.items(), key=lambda item: (item[0][1], item[0][0]))
        )
        faults = tuple(
            FaultWork(span, s.updates, s.completed, s.forwarded, dict(s.calls))
            for span, s in zip(self.fault_spans, self.by_fault, strict=True)
        )
        return Accounting(
            windows,
            self.timeout_s,
            self.total,
            dict(self.unattributed),
            self.not_judged,
            dict(self.apart),
            faults,
            dict(self.unanswered),
        )
