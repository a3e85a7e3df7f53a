"""Judging the per-update accounting: lost updates, end-to-end latency, calls and jobs per update,
per flow and window, with windows touching a fault window judged apart from the steady state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from harness.analysis.flows import FLOWS, Accounting, FlowWindow, latency_quantile_s
from harness.analysis.guides import flat, line, steps, window_centres
from harness.analysis.model import Check, FaultWindow, Guide, GuideRole, Pause, RunData, Span, Status
from harness.analysis.pauses import LATENCY_SHARE, material, named, pause_near, pause_within
from harness.analysis.work_windows import touching
from harness.config import Thresholds
from shared import human

Ratio = Callable[[FlowWindow], tuple[float, float]]  # (numerator, denominator) of one window


def _span(accounting: Accounting) -> Span | None:
    if not accounting.windows:
        return None
    return Span(min(w.span.start_s for w in accounting.windows), max(w.span.end_s for w in accounting.windows))


def _fault_near(window: FlowWindow, faults: Sequence[FaultWindow]) -> FaultWindow | None:
    """The fault window this one's updates may have met (a window's length either side)."""
    length_s = window.span.end_s - window.span.start_s
    return touching(Span(window.span.start_s, window.span.end_s + length_s), faults, length_s)


def _where(window: FlowWindow, faults: Sequence[FaultWindow]) -> str:
    span = f"{human.span(window.span.start_s, window.span.end_s)}"
    if not window.in_fault:
        return span
    fault = _fault_near(window, faults)
    return f"{span} (fault window {fault.label})" if fault else f"{span} (updates that met injected faults)"


def lost_updates(data: RunData, limits: Thresholds, accounting: Accounting) -> list[Check]:
    limit = limits.lost_updates_max
    if limit is None:
        return []
    late = (f"{accounting.not_judged} sent too late to be judged (their {human.duration(accounting.timeout_s)} "
            "ran past the records)")  # fmt: skip
    if not any(w.updates for w in accounting.windows):
        why = f"no update sent after the {human.duration(limits.warmup_s)} warm-up to judge; {late}"
        return [Check("lost_updates", Status.INCONCLUSIVE, None, float(limit), "updates", _span(accounting), why)]
    overload_s = data.knee.overload_from_s if data.knee else None
    held = [w for w in accounting.windows if overload_s is None or _mid_s(w.span) < overload_s]
    past_knee = sum(w.lost for w in accounting.windows) - sum(w.lost for w in held)
    lost = sum(w.lost for w in held)
    explained = sum(w.explained for w in accounting.windows)
    by_flow = {flow: sum(w.lost for w in held if w.flow == flow) for flow in FLOWS}
    parts = ", ".join(f"{flow} {n}" for flow, n in by_flow.items() if n)
    worst = max(held, key=lambda w: w.lost, default=None)
    beyond = (f"; {past_knee} more not completed in the steps past the knee (from {human.duration(overload_s)}: "
              "overload on purpose, judged by the knee table)" if overload_s is not None else "")  # fmt: skip
    detail = (f"{lost} accepted updates never completed within {human.duration(accounting.timeout_s)}"
              f"{f' ({parts}; most at {_where(worst, data.fault_windows)})' if lost and worst else ''}, limit {limit}; "
              f"{explained} more not completed during injected faults; {late}{beyond}"
              f"{f'; {accounting.unanswered_text()} not lost' if accounting.unanswered else ''}")  # fmt: skip
    status = Status.PASS if lost <= limit else Status.FAIL
    peak = worst.span if lost and worst else None
    span = _span(accounting)
    guides = (_lost_so_far(accounting),) + ((flat(GuideRole.LIMIT, "limit", span, limit),) if span else ())
    return [Check("lost_updates", status, float(lost), float(limit), "updates", span, detail,
                  peak_span=peak, guides=guides)]  # fmt: skip


def _mid_s(span: Span) -> float:
    return (span.start_s + span.end_s) / 2


def _lost_so_far(accounting: Accounting) -> Guide:
    """Updates lost by the end of each window, every flow together."""
    lost_by_end: dict[float, int] = {}
    for w in accounting.windows:
        lost_by_end[w.span.end_s] = lost_by_end.get(w.span.end_s, 0) + w.lost
    ends = sorted(lost_by_end)
    return line(GuideRole.JUDGED, "lost so far", ends, np.cumsum([lost_by_end[end_s] for end_s in ends]))


def _ratio_check(name: str, windows: list[FlowWindow], ratio: Ratio, limit: float, *, data: RunData, factor: float,
                 unit: str) -> Check | None:  # fmt: skip
    """A per-update ratio's worst steady window and worst window touching a fault (against limit x
    factor), both in the evidence; the figure is the one furthest over (or nearest to) its limit."""
    rated = [(w, n / d) for w, (n, d) in ((w, ratio(w)) for w in windows) if d > 0]
    if not rated:
        return None
    steady = max(((w, r) for w, r in rated if not w.in_fault), key=lambda i: i[1], default=None)
    faulted = max(((w, r) for w, r in rated if w.in_fault), key=lambda i: i[1], default=None)
    parts = [(label, found, bound) for label, found, bound in (("steady", steady, limit),
             ("during faults", faulted, limit * factor)) if found is not None]  # fmt: skip
    detail = "; ".join(f"{label} max {human.number(r)} at {_where(w, data.fault_windows)}, limit {human.number(bound)}"
                       for label, (w, r), bound in parts)  # fmt: skip
    _, (window, figure), shown_limit = max(parts, key=lambda part: part[1][1] / part[2])
    status = Status.FAIL if any(r > bound for _, (_, r), bound in parts) else Status.PASS
    span = Span(windows[0].span.start_s, windows[-1].span.end_s)
    spans = [w.span for w, _ in rated]
    bounds = [limit * factor if w.in_fault else limit for w, _ in rated]
    guides = (steps(GuideRole.JUDGED, unit.replace("/", " per "), spans, [r for _, r in rated]),
              steps(GuideRole.LIMIT, "limit", spans, bounds))  # fmt: skip
    return Check(name, status, figure, shown_limit, unit, span, detail, peak_span=window.span, guides=guides)


def _calls_ratio(upstream: str) -> Ratio:
    return lambda w: (w.calls_of(upstream), w.updates)


def calls_per_update(data: RunData, limits: Thresholds, accounting: Accounting) -> list[Check]:
    checks = []
    for key, limit in limits.calls_per_update_max.items():
        flow, upstream = key.split(".", 1)
        windows = [w for w in accounting.windows if w.flow == flow]
        name = f"calls_per_update.{key}"
        ratio = _calls_ratio(upstream)
        found = _ratio_check(
            name, windows, ratio, limit, data=data, factor=limits.fault_calls_factor, unit="calls/update"
        )
        checks.append(found or _not_exercised(name, flow, limit))
    return checks


def _not_exercised(name: str, flow: str, limit: float) -> Check:
    # A budget for a path the run never took (voice_failed on a healthy STT) holds vacuously: no
    # update of the flow, no call to count. Inconclusive here kept every healthy run from passing;
    # a flow that should have happened and did not is upstream_called's and lost_updates' business.
    why = f"no {flow} updates: this budget was not exercised by the run"
    return Check(name, Status.PASS, None, limit, "calls/update", None, why)


def jobs_per_update(data: RunData, limits: Thresholds, accounting: Accounting) -> list[Check]:
    limit = limits.jobs_per_update_max
    if limit is None:
        return []
    windows = [w for w in accounting.windows if w.forwarded]
    found = _ratio_check("jobs_per_update", windows, lambda w: (w.jobs, w.forwarded), limit, data=data,
                         factor=limits.fault_calls_factor, unit="jobs/update")  # fmt: skip
    if found is None:
        return [Check("jobs_per_update", Status.INCONCLUSIVE, None, limit, "jobs/update", None, "no update forwarded")]
    multi = sum(w.multi_job for w in windows)
    return [Check(found.name, found.status, found.figure, found.limit, found.unit, found.span,
                  f"{found.detail}; {multi} updates made more than one cursor-runner job (a pending record each)",
                  peak_span=found.peak_span)]  # fmt: skip


# A p95 of fewer completions is one slow update: adjacent windows are pooled until they hold this
# many (the p95 of 20 leaves out the slowest one: a GC pause on a busy machine does not fail a run).
MIN_COMPLETED_FOR_P95 = 20
_Group = tuple[Span, list[int], int]  # span, summed latency counts, completions


def _merge(group: _Group, other: _Group) -> _Group:
    merged = [a + b for a, b in zip(group[1], other[1], strict=True)]
    return Span(group[0].start_s, other[0].end_s), merged, group[2] + other[2]


def _adjacent(before: _Group, after: _Group) -> bool:
    return before[0].end_s >= after[0].start_s


def pooled(windows: Sequence[FlowWindow], min_completed: int) -> list[tuple[Span, tuple[int, ...]]]:
    """Adjacent windows merged until each group holds min_completed completions; a short group
    joins the one before it when adjacent, else is left out. A gap (a fault window's windows,
    judged apart) is never bridged, so a group's span touches no fault."""
    groups: list[_Group] = []
    for window in windows:
        group: _Group = (window.span, list(window.latency_counts), window.completed)
        if groups and groups[-1][2] < min_completed and _adjacent(groups[-1], group):
            groups[-1] = _merge(groups[-1], group)
        else:
            groups.append(group)
    kept: list[_Group] = []
    for group in groups:
        if kept and group[2] < min_completed and _adjacent(kept[-1], group):
            kept[-1] = _merge(kept[-1], group)
        else:
            kept.append(group)
    return [(span, tuple(counts)) for span, counts, completed in kept if completed >= min_completed]


def _latency_detail(where: str, counts: tuple[int, ...], p95_s: float, limit_s: float) -> str:
    p50_s = latency_quantile_s(counts, 0.5) or 0.0
    p99_s = latency_quantile_s(counts, 0.99)
    p99_text = human.duration(p99_s) if p99_s is not None else "beyond the last bucket"
    return (f"send -> final call, worst steady window {where} ({sum(counts)} completed): p50 {human.duration(p50_s)}, "
            f"p95 {human.duration(p95_s)}, p99 {p99_text}; limit p95 {human.duration(limit_s)}")  # fmt: skip


def _paused_part(pauses: Sequence[Pause], paused: list[FlowWindow]) -> tuple[str, list[Pause]]:
    """The worst p95 among windows soak's own pauses touched, in words, and the pauses it names."""
    groups = [(group, latency_quantile_s(counts, 0.95)) for group, counts in pooled(paused, MIN_COMPLETED_FOR_P95)]
    rated = [(group, p95) for group, p95 in groups if p95 is not None]
    if not rated:
        return "", []
    group, p95_s = max(rated, key=lambda item: item[1])
    window_s = paused[0].span.end_s - paused[0].span.start_s
    near = pause_within(group, pauses, window_s)
    text = (f"windows touching a pause soak imposed on the target, judged apart: worst p95 {p95_s * 1000:.0f} ms "
            f"at {group.start_s:.0f}-{group.end_s:.0f} s ({named(near)}, and the backlog it left)")  # fmt: skip
    return text, near


def _flow_latency(data: RunData, flow: str, windows: list[FlowWindow], limit_s: float) -> Check:
    name = f"e2e_latency_p95.{flow}"
    span = Span(windows[0].span.start_s, windows[-1].span.end_s)
    # Latency from clean windows only: those near a fault also carry the updates it slowed, those
    # near one of soak's own pauses the updates it held up (analysis/pauses.py).
    clean = [w for w in windows if not w.in_fault and _fault_near(w, data.fault_windows) is None]
    pauses = material(data.pauses, limit_s * LATENCY_SHARE)
    near_pause = [pause_near(w.span, pauses, w.span.end_s - w.span.start_s) is not None for w in clean]
    steady = [w for w, paused in zip(clean, near_pause, strict=True) if not paused]
    apart, named_pauses = _paused_part(pauses, [w for w, paused in zip(clean, near_pause, strict=True) if paused])
    groups = [
        (group, latency_quantile_s(counts, 0.95), counts) for group, counts in pooled(steady, MIN_COMPLETED_FOR_P95)
    ]
    rated = [(group, p95, counts) for group, p95, counts in groups if p95 is not None]
    if not rated:
        why = f"fewer than {MIN_COMPLETED_FOR_P95} completed outside fault windows"
        if named_pauses:
            why += f" and soak's own pauses: every judged window touched one ({named(pauses)}); {apart}"
        return Check(name, Status.INCONCLUSIVE, None, limit_s, "s", span, why)
    group, p95_s, counts = max(rated, key=lambda item: item[1])
    where = f"{human.span(group.start_s, group.end_s)}"
    status = Status.PASS if p95_s <= limit_s else Status.FAIL
    guides = (line(GuideRole.JUDGED, "p95 per window", window_centres([g for g, _, _ in rated]),
                   [p for _, p, _ in rated]), flat(GuideRole.LIMIT, "limit", span, limit_s))  # fmt: skip
    detail = _latency_detail(where, counts, p95_s, limit_s) + (f"; {apart}" if apart else "")
    return Check(name, status, p95_s, limit_s, "s", span, detail, peak_span=group, guides=guides)


def e2e_latency(data: RunData, limits: Thresholds, accounting: Accounting) -> list[Check]:
    """Per flow, the worst p95 of send -> final call over steady windows (fault windows judged apart:
    a fault is expected to slow or stop work, which lost_updates and the call budgets judge)."""
    limit = limits.e2e_latency_p95_max_s
    if limit is None:
        return []
    checks = []
    for flow in FLOWS:
        windows = [w for w in accounting.windows if w.flow == flow]
        if any(w.completed for w in windows):
            checks.append(_flow_latency(data, flow, windows, limit))
    return checks


def accounting_checks(data: RunData, limits: Thresholds) -> list[Check]:
    accounting = data.accounting
    wanted = (limits.lost_updates_max, limits.e2e_latency_p95_max_s, limits.jobs_per_update_max)
    if all(value is None for value in wanted) and not limits.calls_per_update_max:
        return []
    if accounting is None or not accounting.windows:
        why = "no per-update records (updates.jsonl) to account" if accounting is None else "no update accounted"
        return [Check("update_accounting", Status.INCONCLUSIVE, None, 0.0, "", data.load, why)]
    judged_from_s = data.load.start_s + limits.warmup_s
    accounting = replace(accounting, windows=tuple(w for w in accounting.windows if w.span.start_s >= judged_from_s))
    checks: list[Check] = []
    for judge in (lost_updates, calls_per_update, jobs_per_update, e2e_latency):
        checks.extend(judge(data, limits, accounting))
    return checks
