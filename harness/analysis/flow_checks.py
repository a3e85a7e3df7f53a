"""Judging the per-update accounting: lost updates, end-to-end latency, calls and jobs per update,
per flow and window, with windows touching a fault window judged apart from the steady state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from harness.analysis.flows import FLOWS, Accounting, FlowWindow, latency_quantile_s
from harness.analysis.model import Check, FaultWindow, RunData, Span, Status
from harness.analysis.work_windows import touching
from harness.config import Thresholds

Ratio = Callable[[FlowWindow], tuple[float, float]]  # (numerator, denominator) of one window


def _span(accounting: Accounting) -> Span | None:
    if not accounting.windows:
        return None
    return Span(min(w.span.start_s for w in accounting.windows), max(w.span.end_s for w in accounting.windows))


def _faulted(window: FlowWindow, faults: Sequence[FaultWindow]) -> FaultWindow | None:
    return touching(window.span, faults, window.span.end_s - window.span.start_s)


def _where(window: FlowWindow, faults: Sequence[FaultWindow]) -> str:
    fault = _faulted(window, faults)
    span = f"{window.span.start_s:.0f}-{window.span.end_s:.0f} s"
    return f"{span} (fault window {fault.label})" if fault else span


def lost_updates(data: RunData, limits: Thresholds, accounting: Accounting) -> list[Check]:
    limit = limits.lost_updates_max
    if limit is None:
        return []
    lost = sum(w.lost for w in accounting.windows)
    explained = sum(w.explained for w in accounting.windows)
    by_flow = {flow: sum(w.lost for w in accounting.windows if w.flow == flow) for flow in FLOWS}
    parts = ", ".join(f"{flow} {n}" for flow, n in by_flow.items() if n)
    worst = max(accounting.windows, key=lambda w: w.lost, default=None)
    detail = (f"{lost} accepted updates never completed within {accounting.timeout_s:.0f} s"
              f"{f' ({parts}; most at {_where(worst, data.fault_windows)})' if lost and worst else ''}, limit {limit}; "
              f"{explained} more not completed during injected faults")  # fmt: skip
    status = Status.PASS if lost <= limit else Status.FAIL
    peak = worst.span if lost and worst else None
    return [Check("lost_updates", status, float(lost), float(limit), "updates", _span(accounting), detail,
                  peak_span=peak)]  # fmt: skip


def _ratio_check(name: str, windows: list[FlowWindow], ratio: Ratio, limit: float, *, data: RunData, factor: float,
                 unit: str) -> Check | None:  # fmt: skip
    """The worst window of a per-update ratio; fault windows against limit x factor."""
    rated = [(w, *ratio(w)) for w in windows]
    rated = [(w, n / d, limit * factor if _faulted(w, data.fault_windows) else limit) for w, n, d in rated if d > 0]
    if not rated:
        return None
    window, figure, bound = max(rated, key=lambda item: item[1] / item[2])
    steady = max((r for _, r, b in rated if b == limit), default=None)
    status = Status.FAIL if figure > bound else Status.PASS
    steady_text = f"steady max {steady:.2f}, " if steady is not None else ""
    detail = f"{steady_text}worst {figure:.2f} at {_where(window, data.fault_windows)}, limit {bound:.3g}"
    span = Span(windows[0].span.start_s, windows[-1].span.end_s)
    return Check(name, status, figure, bound, unit, span, detail, peak_span=window.span)


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
        checks.append(
            found or Check(name, Status.INCONCLUSIVE, None, limit, "calls/update", None, f"no {flow} updates")
        )
    return checks


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


def e2e_latency(data: RunData, limits: Thresholds, accounting: Accounting) -> list[Check]:
    limit = limits.e2e_latency_p95_max_s
    if limit is None:
        return []
    checks = []
    for flow in FLOWS:
        windows = [w for w in accounting.windows if w.flow == flow and w.completed]
        steady = [
            (w, latency_quantile_s(w.latency_counts, 0.95)) for w in windows if not _faulted(w, data.fault_windows)
        ]
        rated = [(w, p95) for w, p95 in steady if p95 is not None]
        if not windows:
            continue
        name = f"e2e_latency_p95.{flow}"
        if not rated:
            checks.append(Check(name, Status.INCONCLUSIVE, None, limit, "s", None, "completed only during faults"))
            continue
        window, p95 = max(rated, key=lambda item: item[1])
        p50 = latency_quantile_s(window.latency_counts, 0.5) or 0.0
        p99 = latency_quantile_s(window.latency_counts, 0.99)
        p99_text = f"{p99 * 1000:.0f} ms" if p99 is not None else "beyond the last bucket"
        where = _where(window, data.fault_windows)
        detail = (f"send -> final call, worst steady window {where}: p50 {p50 * 1000:.0f} ms, "
                  f"p95 {p95 * 1000:.0f} ms, p99 {p99_text}; limit p95 {limit * 1000:.0f} ms")  # fmt: skip
        status = Status.PASS if p95 <= limit else Status.FAIL
        span = Span(windows[0].span.start_s, windows[-1].span.end_s)
        checks.append(Check(name, status, p95, limit, "s", span, detail, peak_span=window.span))
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
