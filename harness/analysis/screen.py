"""Screening every recorded resource curve that no named check judges, so an unforeseen leak is
never silent: growth through the load that goes on to the end and does not come back in the
cool-down is reported as inconclusive, with its slope per update and per hour. A capacity curve
(V8's heap total, memory before GC) is judged through its live counterpart (after GC; for the heap
total, the heap used without forced GC) when that is recorded: the reserve grows with the load,
what is kept is the leak.

Resources are the target's bytes and counts (memory kinds, fds by kind, sockets by state and
peer, handles by kind, listeners, Redis clients and keys, temp files), picked by unit and
source from the store's catalogue: rates, durations, flags and counters that only ever rise
(requests, CPU seconds: "_total") are not resources, nor are the collector's, the mocks' or
Locust's own curves. A healthy run stays quiet because each finding needs all of: a rise
significant at SCREEN_ALPHA, a material size, a later half still rising, and most of it left
after the cool-down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.rules import judged_span, request_counter
from harness.analysis.trend import theil_sen, trend
from harness.analysis.windows import trend_window_s, value_at, window_medians, within
from harness.config import Thresholds
from shared import human
from vocab.metrics import TCP_PREFIX, Metric, node_resource

TARGET_SOURCES = frozenset({"process", "tcp", "tmp", "redis", "node"})
RESOURCE_UNITS = {"bytes": "B", "count": "count"}
SCREEN_ALPHA = 0.01  # stricter than a named check's: dozens of curves are screened per run
MIN_RISE = {"B": 1024.0**2, "count": 3.0}  # smaller rises are within what a pool or a cache does
MIN_RELATIVE_RISE = 0.02  # of the curve's level, for bytes (allocators move by percents)
# Curves measuring the same resource as another: a named check on the key covers them (a curve
# also covers its parts: target.fds covers target.fds.socket, tmp.files covers tmp.files.<glob>).
_HEAP = (Metric.HEAP_AFTER_GC_BYTES, Metric.HEAP_USED_BYTES, Metric.HEAP_TOTAL_BYTES)
_EXTERNAL = (
    Metric.EXTERNAL_AFTER_GC_BYTES,
    Metric.EXTERNAL_BYTES,
    Metric.ARRAY_BUFFERS_AFTER_GC_BYTES,
    Metric.ARRAY_BUFFERS_BYTES,
)
# A capacity curve and the live amount it holds: V8 reserves heap, and garbage piles up between
# collections, in proportion to the load, so these rise with traffic while what is live stays flat.
# A leak is in the live curve (judged by a check or screened itself); the reserve's cost in memory
# shows in the RSS, which is screened on its own.
# The first one recorded speaks: without forced GC, the heap used (live and garbage) is what the
# total is reserved for, and a leak shows in it.
LIVE_COUNTERPART: dict[str, tuple[str, ...]] = {
    Metric.HEAP_TOTAL_BYTES: (Metric.HEAP_AFTER_GC_BYTES, Metric.HEAP_USED_BYTES),
    Metric.HEAP_USED_BYTES: (Metric.HEAP_AFTER_GC_BYTES,),
    Metric.EXTERNAL_BYTES: (Metric.EXTERNAL_AFTER_GC_BYTES,),
    Metric.ARRAY_BUFFERS_BYTES: (Metric.ARRAY_BUFFERS_AFTER_GC_BYTES,),
}
FAMILIES: tuple[tuple[str, ...], ...] = (
    (Metric.RSS_BYTES, Metric.USS_BYTES, Metric.PSS_BYTES),
    _HEAP,
    _EXTERNAL,
    (Metric.SOCKETS, Metric.TCP_CONNECTIONS, TCP_PREFIX, node_resource("TCPSocketWrap")),
    (Metric.REDIS_TARGET_CLIENTS, Metric.REDIS_CLIENTS),
    (Metric.TCP_CLOSE_WAIT_HELD, Metric.TCP_CLOSE_WAIT),
)


def is_resource(name: str, unit: str, source: str) -> bool:
    return source in TARGET_SOURCES and unit in RESOURCE_UNITS and not name.endswith("_total")


def covered_by(judged: Iterable[str]) -> set[str]:
    """Names and name prefixes (ending in '.') that the judged metrics explain."""
    judged = set(judged)
    names = set(judged) | {f"{name}." for name in judged}
    for family in FAMILIES:
        if any(member in judged for member in family):
            names.update(family)
    return names


def _is_covered(name: str, covered: set[str]) -> bool:
    return name in covered or any(prefix.endswith(".") and name.startswith(prefix) for prefix in covered)


def explained_by_live(name: str, data: RunData, limits: Thresholds) -> bool:
    """A capacity curve whose live counterpart is recorded through the judged span: that one speaks."""
    span = judged_span(data, limits)
    window_s = trend_window_s(span, limits.window_s)
    return any(
        window_medians(data.curves[live], span, window_s)[0].size >= max(limits.min_windows, 4)
        for live in LIVE_COUNTERPART.get(name, ())
        if live in data.curves
    )


@dataclass(frozen=True)
class Growth:
    """A curve's rise over the judged span and what is left of it after the cool-down."""

    rise: float
    per_s: float
    per_update: float | None
    p_value: float
    left: float | None  # None: no cool-down to tell


def _level(curve: Curve, span: Span | None) -> float | None:
    if span is None:
        return None
    _, values = within(curve, span)
    return float(np.median(values)) if values.size else None


def _left_after_cooldown(curve: Curve, data: RunData, limits: Thresholds, first_level: float) -> float | None:
    """The lowest level in the last recovery window of the cool-down above the pre-load level: a
    pool whose idle connections time out within the window has come back (its median may not)."""
    cooldown = data.cooldown
    if cooldown is None:
        return None
    _, tail = within(curve, Span(max(cooldown.start_s, cooldown.end_s - limits.recovery_window_s), cooldown.end_s))
    if tail.size == 0:
        return None
    end = float(tail.min())
    before = _level(curve, data.baseline)
    return end - (first_level if before is None else before)


def growth_of(curve: Curve, unit: str, data: RunData, limits: Thresholds) -> Growth | None:
    """The curve's growth when it is a finding, else None."""
    span = judged_span(data, limits)
    t_s, medians = window_medians(curve, span, trend_window_s(span, limits.window_s))
    if t_s.size < max(limits.min_windows, 4):
        return None
    found = trend(t_s, medians)
    rise = found.slope * float(t_s[-1] - t_s[0])
    material = max(MIN_RISE[unit], MIN_RELATIVE_RISE * abs(float(np.median(medians))) if unit == "B" else 0.0)
    if not (found.increasing and found.p_value < SCREEN_ALPHA and rise >= material):
        return None
    half = t_s.size // 2
    if theil_sen(t_s[half:], medians[half:]) <= 0:
        return None  # it stopped: a pool or a cache at its size
    left = _left_after_cooldown(curve, data, limits, float(medians[0]))
    if left is not None and (left < 0.5 * rise or left < material):
        return None  # it came back
    counter, _ = request_counter(data)
    per_update = None
    if counter is not None and len(counter.t_s) >= 2:
        handled = value_at(counter, t_s)
        per_update = theil_sen(handled, medians) if np.ptp(handled) > 0 else None
    return Growth(rise, found.slope, per_update, found.p_value, left)


def _finding(name: str, unit: str, found: Growth, span: Span) -> Check:
    per_hour = human.per_hour(found.per_s, unit)
    per_update = f"{human.per_update(found.per_update, unit)}, " if found.per_update is not None else ""
    left = (
        "no cool-down to see it come back"
        if found.left is None
        else f"{human.amount(found.left, unit)} of it still there after the cool-down"
    )
    before_gc = (
        " It is measured before GC, where garbage grows with the load: with [collector] forced_gc_every"
        " set, the after-GC curve judges what is kept."
        if name in LIVE_COUNTERPART
        else ""
    )
    detail = (
        f"grew {human.amount(found.rise, unit)} over the judged span ({per_update}{per_hour}, trend "
        f"{human.p_value(found.p_value)}) and was still rising at its end; {left}. No threshold judges {name}: "
        f'set one with [[thresholds.metric]] name = "{name}".{before_gc}'
    )
    if found.per_update is None:
        figure, figure_unit = found.per_s, f"{unit}/s"
    else:
        figure, figure_unit = found.per_update, f"{unit}/req"
    return Check(f"screen.{name}", Status.INCONCLUSIVE, figure, 0.0, figure_unit, span, detail, name)


def screen(data: RunData, limits: Thresholds, judged: Iterable[str]) -> list[Check]:
    """One inconclusive check per unexplained growth, or one passing `resource_screen` check."""
    if not limits.screen:
        return []
    covered = covered_by(judged)
    candidates = {
        name: RESOURCE_UNITS[info.unit]
        for name, info in data.catalogue.items()
        if name in data.curves and is_resource(name, info.unit, info.source) and not _is_covered(name, covered)
    }
    if not candidates:
        return []
    span = judged_span(data, limits)
    findings = []
    for name, unit in sorted(candidates.items()):
        if explained_by_live(name, data, limits):
            continue
        found = growth_of(data.curves[name], unit, data, limits)
        if found is not None:
            findings.append(_finding(name, unit, found, span))
    if findings:
        return findings
    windows = max(window_medians(data.curves[name], span, limits.window_s)[0].size for name in candidates)
    if span.end_s <= span.start_s or windows < limits.min_windows:
        why = f"the judged span is too short to screen ({windows} windows, {limits.min_windows} needed)"
        return [Check("resource_screen", Status.INCONCLUSIVE, None, 0.0, "curves", span, why)]
    detail = f"{len(candidates)} resource curves without a named threshold screened: none grew without coming back"
    return [Check("resource_screen", Status.PASS, 0.0, 0.0, "curves", span, detail)]
