"""Amplification per upstream and route: calls at the mocks per update sent, judged per window.

A retry storm or duplicate processing raises the ratio above the contract's budget (TARGET-CONTRACT
§5). Windows touching a fault window are judged apart, against the budget times the fault factor
(a failed call and its fallback), so the evidence names the window where the ratio rose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.analysis.guides import steps
from harness.analysis.model import Check, Curve, Guide, GuideRole, Pause, RunData, Span, Status
from harness.analysis.pauses import WINDOW_SHARE, material, named, pause_near, pause_within
from harness.analysis.rules import UPDATES
from harness.analysis.work_windows import WindowRatio, behind_s, where, window_ratios, work_windows, worst
from harness.config import Thresholds
from shared import human

MIN_UPDATES_PER_WINDOW = 20  # fewer updates than this in a window say nothing about a ratio
UNIT = "calls/update"


def _curves_of(key: str, calls: dict[str, Curve]) -> list[Curve]:
    """ "telegram" sums every Telegram route; "telegram.sendMessage" is that route alone."""
    if "." in key:
        return [calls[key]] if key in calls else []
    return [curve for name, curve in calls.items() if name.split(".", 1)[0] == key]


def _part(label: str, found: WindowRatio, limit: float) -> str:
    counts = f"{human.count(found.count)} calls, {human.count(found.updates)} updates"
    return f"{label} max {human.number(found.ratio)} at {where(found)} ({counts}), limit {human.number(limit)}"


def _behind(late: list[WindowRatio], lags_s: Mapping[Span, float]) -> str:
    """The steady windows where the service was behind by more than a window, in words (or "")."""
    if not late:
        return ""
    top = max(late, key=lambda r: r.ratio)
    lag_s = lags_s[top.span]
    return (f"; {len(late)} windows where the service was behind by more than a window (its updates' median "
            f"end-to-end time), whose calls are earlier updates' too, judged apart: max {top.ratio:.2f} at "
            f"{where(top)} ({human.duration(lag_s)} behind)")  # fmt: skip


def _judge_key(key: str, limit: float, ratios: list[WindowRatio], factor: float, span: Span, *,
               pauses: Sequence[Pause] = (), lags_s: Mapping[Span, float] | None = None) -> Check:  # fmt: skip
    name = f"upstream_calls_per_update.{key}"
    # A pause of soak's own holds calls back and its backlog lands them in a later window than
    # their updates: those windows are shown, not judged (analysis/pauses.py). So are windows where
    # the service fell further behind than a window, for the same reason.
    held = [r for r in ratios if r.fault is None and pause_near(r.span, pauses, r.span.end_s - r.span.start_s)]
    lags_s = lags_s or {}
    late = [r for r in ratios if r.fault is None and r not in held and r.span in lags_s]
    steady = worst([r for r in ratios if r.fault is None and r not in held and r not in late])
    faulted = worst([r for r in ratios if r.fault is not None])
    candidates = (("steady", steady, limit), ("during faults", faulted, limit * factor))
    parts = [(label, r, lim) for label, r, lim in candidates if r is not None]
    apart = ""
    if (paused := worst(held)) is not None:
        near = pause_within(paused.span, pauses, paused.span.end_s - paused.span.start_s)
        apart = (f"; windows touching soak's own pauses of the target, judged apart: max {paused.ratio:.2f} at "
                 f"{where(paused)} ({named(near)})")  # fmt: skip
    apart += _behind(late, lags_s)
    if not parts:
        why = f"no work window with {MIN_UPDATES_PER_WINDOW} updates sent" + (
            f" outside soak's own pauses and backlogs{apart}" if apart else ""
        )
        return Check(name, Status.INCONCLUSIVE, None, limit, UNIT, span, why)
    detail = "; ".join(_part(label, r, lim) for label, r, lim in parts) + apart
    # The evidence shown is the part furthest over (or nearest to) its limit.
    _, shown, shown_limit = max(parts, key=lambda part: part[1].ratio / part[2])
    status = Status.FAIL if shown.ratio > shown_limit else Status.PASS
    guides = ratio_guides(ratios, limit, factor)
    return Check(name, status, shown.ratio, shown_limit, UNIT, span, detail, peak_span=shown.span, guides=guides)


def ratio_guides(ratios: list[WindowRatio], limit: float, factor: float) -> tuple[Guide, ...]:
    """Each window's ratio, and its limit (times the fault factor in windows touching a fault)."""
    spans = [r.span for r in ratios]
    bounds = [limit * factor if r.fault is not None else limit for r in ratios]
    return (
        steps(GuideRole.JUDGED, "calls per update", spans, [r.ratio for r in ratios]),
        steps(GuideRole.LIMIT, "limit", spans, bounds),
    )


def calls_per_update_max(data: RunData, limits: Thresholds) -> list[Check]:
    table = limits.upstream_calls_per_update_max
    if not table:
        return []
    span = Span(data.load.start_s + limits.warmup_s, data.load.end_s)
    # Send times from the scenario's log are exact; Locust's per-second history lags its requests.
    updates = data.accepted if data.accepted is not None else data.curves.get(UPDATES)
    missing = "update counts" if updates is None else "upstream-calls.jsonl" if not data.calls else None
    if missing is not None or updates is None:
        why = f"not recorded in this run: {missing}"
        return [
            Check(f"upstream_calls_per_update.{key}", Status.INCONCLUSIVE, None, limit, UNIT, span, why)
            for key, limit in table.items()
        ]
    windows = work_windows(span, limits.work_window_s)
    # How far behind the service was in each window: the same for every upstream, read once.
    lags_s = {w: lag_s for w in windows if (lag_s := behind_s(w, data.accounting)) is not None}
    checks = []
    for key, limit in table.items():
        ratios = window_ratios(
            _curves_of(key, dict(data.calls)), updates, windows, data.fault_windows, min_updates=MIN_UPDATES_PER_WINDOW
        )
        pauses = material(data.pauses, limits.work_window_s * WINDOW_SHARE)
        check = _judge_key(key, limit, ratios, limits.fault_calls_factor, span, pauses=pauses, lags_s=lags_s)
        checks.append(check)
    return checks
