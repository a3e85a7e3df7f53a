"""A service that fell behind over the judged span: more of its updates in flight (sent, not yet
completed) at the end than at the start, so its last windows hold more work (sockets, handles,
pending Redis records) than its first, as on a load that rose, though the rate did not change (a
service starved of CPU, or one slower than its load)."""

from __future__ import annotations

from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow
from harness.analysis.model import Span
from harness.analysis.rising_load import LoadRise
from shared import human


def fell_behind(accounting: Accounting | None, span: Span) -> LoadRise | None:
    """Updates in flight at the span's start and end, when the end holds at least a work window's
    updates more than the start (the service behind by a window more); else None."""
    if accounting is None:
        return None
    windows = [w for w in accounting.windows if not w.in_fault]
    if not windows:
        return None
    first, last = in_flight(windows, span.start_s), in_flight(windows, span.end_s)
    window_s = max(w.span.end_s - w.span.start_s for w in windows)
    sent_s = max(w.span.end_s for w in windows) - min(w.span.start_s for w in windows)
    per_window = sum(w.updates for w in windows) * window_s / max(sent_s, window_s)
    if last - first < max(per_window, 1.0):
        return None
    return LoadRise(f"the service fell behind: {human.number(first)} updates in flight (sent, not completed) "
                    f"at the start of the judged span, {human.number(last)} at its end")  # fmt: skip


def in_flight(windows: list[FlowWindow], t_s: float) -> float:
    """Updates sent by t_s and not completed by then, each window's completions placed at its middle
    plus their end-to-end times (lost ones never complete). A window t_s falls in counts in part."""
    total = 0.0
    for window in windows:
        length_s = window.span.end_s - window.span.start_s
        if window.span.start_s >= t_s or length_s <= 0:
            continue
        share = min(1.0, (t_s - window.span.start_s) / length_s)
        middle_s = window.span.start_s + share * length_s / 2
        done = sum(
            n for n, bound_s in zip(window.latency_counts, LATENCY_BOUNDS_S, strict=False) if middle_s + bound_s <= t_s
        )
        total += share * (window.updates - done)
    return max(total, 0.0)
