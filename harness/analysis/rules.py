"""Which check judges which metric under which threshold: one table, evaluated in order.

Metric names are the collector's catalogue names (tests/unit/test_rules.py keeps them in step).
A threshold that is set for a metric the run did not record gives an inconclusive check,
never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum, auto

import numpy as np

from harness.analysis.backlog import fell_behind
from harness.analysis.level_checks import growth, peak, residual, sustained
from harness.analysis.model import Check, Curve, RunData, Span, Status
from harness.analysis.pauses import LATENCY_SHARE, WINDOW_SHARE, material, outside_pauses, pause_at
from harness.analysis.rising_load import (
    DRAINING_PER_S,
    Judging,
    draining_per_s,
    growth_after_rise,
    last_work_s,
    load_rise,
    paused_load,
    rate_after_rise,
)
from harness.analysis.trend_checks import TrendSettings, slope_per_hour, slope_per_request
from harness.analysis.windows import rise_over, value_at, within
from harness.config import Thresholds
from shared import human
from vocab import metrics as names
from vocab.metrics import Metric

RSS = Metric.RSS_BYTES
FDS = Metric.FDS
THREADS = Metric.THREADS
SOCKETS = Metric.SOCKETS
ALIVE = Metric.ALIVE
REQUESTS = Metric.MOCK_REQUESTS_TOTAL
UPDATES = Metric.UPDATES_TOTAL  # built from Locust's history, not sampled by the collector
FAILURES = Metric.FAILURES_TOTAL  # Locust's failed webhook requests, from its history too
HEAP_AFTER_GC = Metric.HEAP_AFTER_GC_BYTES
HEAP = Metric.HEAP_USED_BYTES
EXTERNAL_AFTER_GC = Metric.EXTERNAL_AFTER_GC_BYTES  # Buffers and ArrayBuffers included
EXTERNAL = Metric.EXTERNAL_BYTES
REDIS_TARGET_CLIENTS = Metric.REDIS_TARGET_CLIENTS
HANDLES = Metric.NODE_ACTIVE_HANDLES
CLOSE_WAIT = Metric.TCP_CLOSE_WAIT
CLOSE_WAIT_HELD = Metric.TCP_CLOSE_WAIT_HELD
TMP_FILES = Metric.TMP_FILES
TMP_OLDEST_AGE = Metric.TMP_OLDEST_AGE_S
LOOP_DELAY_P99 = Metric.LOOP_DELAY_P99_S
PENDING_RECORDS = names.PENDING_CALLBACKS  # the collector's count of cursor_runner_callback:*
TIMERS = names.TIMERS  # from getActiveResourcesInfo(), which, unlike handles, lists timers
# Memory judged at each window's floor (see windows.window_floors): readings right after a forced
# GC, and RSS, whose saw-tooth above the floor is garbage the next full GC gives back (soak's own
# census drops a Node target's RSS by megabytes every time; window medians then rose with the
# teeth: rss_slope failed one clean 1-minute run in three).
FLOORED = frozenset({RSS, HEAP_AFTER_GC, EXTERNAL_AFTER_GC, Metric.ARRAY_BUFFERS_AFTER_GC_BYTES})


class Kind(Enum):
    SLOPE = auto()  # Theil-Sen over time, judged span
    PER_REQUEST = auto()  # Theil-Sen against requests handled, judged span
    PEAK = auto()  # highest sample, whole run
    SUSTAINED = auto()  # highest level held through a whole window (its floor), whole run
    GROWTH = auto()  # last window minus first, judged span
    RESIDUAL = auto()  # end of cool-down minus the pre-load baseline
    RESIDUAL_ZERO = auto()  # end of cool-down, healthy level zero


@dataclass(frozen=True)
class Rule:
    check: str
    threshold: str  # the Thresholds field holding the limit
    kind: Kind
    metrics: tuple[str, ...]  # the first one recorded is judged
    unit: str  # of the metric ("B" for bytes); slopes are judged in unit/s and unit/req
    # A part of the metric that wanders on its own and has its own rule: left out, so a slow leak of
    # the rest is not buried in it (files leaking under sockets that follow the concurrency).
    apart: str | None = None


RULES = (
    Rule("rss_slope", "rss_slope_max", Kind.SLOPE, (RSS,), "B"),
    Rule("rss_per_request", "rss_per_request_max", Kind.PER_REQUEST, (RSS,), "B"),
    Rule("heap_slope", "heap_slope_max", Kind.SLOPE, (HEAP_AFTER_GC, HEAP), "B"),
    Rule("heap_per_request", "heap_per_request_max", Kind.PER_REQUEST, (HEAP_AFTER_GC, HEAP), "B"),
    Rule("external_slope", "external_slope_max", Kind.SLOPE, (EXTERNAL_AFTER_GC, EXTERNAL), "B"),
    Rule("external_per_request", "external_per_request_max", Kind.PER_REQUEST, (EXTERNAL_AFTER_GC, EXTERNAL), "B"),
    Rule("rss_max", "rss_max", Kind.PEAK, (RSS,), "B"),
    Rule("fds_growth", "fds_growth_max", Kind.GROWTH, (FDS,), "fds", apart=SOCKETS),
    Rule("sockets_growth", "sockets_growth_max", Kind.GROWTH, (SOCKETS,), "sockets"),
    Rule("redis_clients_growth", "redis_clients_growth_max", Kind.GROWTH, (REDIS_TARGET_CLIENTS,), "clients"),
    Rule("redis_keys_growth", "redis_keys_growth_max", Kind.GROWTH, (PENDING_RECORDS,), "keys"),
    Rule("handles_growth", "handles_growth_max", Kind.GROWTH, (HANDLES,), "handles"),
    Rule("timers_growth", "timers_growth_max", Kind.GROWTH, (TIMERS,), "timers"),
    Rule("threads_growth", "threads_growth_max", Kind.GROWTH, (THREADS,), "threads"),
    # The same sockets at consecutive readings when recorded (runs before: any, count by count).
    Rule("tcp_close_wait", "tcp_close_wait_max", Kind.SUSTAINED, (CLOSE_WAIT_HELD, CLOSE_WAIT), "sockets"),
    Rule("temp_file_age", "temp_file_age_max_s", Kind.PEAK, (TMP_OLDEST_AGE,), "s"),
    Rule("loop_delay_p99", "loop_delay_p99_max_s", Kind.PEAK, (LOOP_DELAY_P99,), "s"),
    Rule("fds_residual", "fds_residual_max", Kind.RESIDUAL, (FDS,), "fds"),
    Rule("sockets_residual", "sockets_residual_max", Kind.RESIDUAL, (SOCKETS,), "sockets"),
    Rule("temp_files_residual", "temp_files_residual_max", Kind.RESIDUAL_ZERO, (TMP_FILES,), "files"),
)


# Figures a stalled event loop moves directly: its own delay and temp files it cannot delete yet
# (a pause of half the limit counts), sockets the peer closed that it cannot close yet (a pause of
# a tenth of the window counts). Samples inside such pauses and their backlog are judged apart.
PAUSE_BOUND = {"loop_delay_p99": True, "temp_file_age": True, "tcp_close_wait": False}  # check -> against the limit


def _apart_from_pauses(rule: Rule, curve: Curve, data: RunData, limits: Thresholds, limit: float) -> tuple[Curve, str]:
    """The curve without the samples soak's own pauses touched, and what was left apart, in words."""
    if rule.check not in PAUSE_BOUND or not data.pauses:
        return curve, ""
    min_s = limit * LATENCY_SHARE if PAUSE_BOUND[rule.check] else limits.window_s * WINDOW_SHARE
    pauses = material(data.pauses, min_s)
    kept, apart = outside_pauses(curve, pauses, limits.window_s)
    if not apart.values.size:
        return curve, ""
    top = int(np.argmax(apart.values))
    pause = pause_at(float(apart.t_s[top]), pauses, limits.window_s)
    during = f", during {pause.label}" if pause is not None else ""
    return kept, (f"; {apart.values.size} samples during soak's own pauses of the target or their backlog "
                  f"judged apart (peak {human.amount(float(apart.values[top]), rule.unit)}{during})")  # fmt: skip


def _whole_run(data: RunData) -> Span:
    start_s = data.baseline.start_s if data.baseline else data.load.start_s
    end_s = data.cooldown.end_s if data.cooldown else data.load.end_s
    return Span(start_s, end_s)


def _up_to_overload(rule: Rule, curve: Curve, data: RunData) -> tuple[Span, str]:
    """A knee run's peaks up to the first step past the knee: beyond it the run overloads the
    service on purpose, and the backlog it queues (memory, sockets its clients gave up on) is the
    knee's figure; the residual checks judge what the cool-down gives back. The peak there is said."""
    whole = _whole_run(data)
    overload_s = data.knee.overload_from_s if data.knee else None
    if overload_s is None or not whole.start_s < overload_s < whole.end_s:
        return whole, ""
    _, past = within(curve, Span(overload_s, whole.end_s))
    top = f": peak {human.amount(float(past.max()), rule.unit)}" if past.size else ""
    return Span(whole.start_s, overload_s), (
        f"; from {human.duration(overload_s)} on, past the knee (overload on purpose, judged by the knee table "
        f"and the cool-down's residual checks){top}"
    )


def judged_unit(rule: Rule) -> str:
    """The unit of a rule's figure: slopes are per second or per request."""
    suffix = {Kind.SLOPE: "/s", Kind.PER_REQUEST: "/req"}.get(rule.kind, "")
    return rule.unit + suffix


def request_counter(data: RunData) -> tuple[Curve | None, str]:
    """Per handled update when Locust's counts are there (load-independent), else per upstream call."""
    if UPDATES in data.curves:
        return data.curves[UPDATES], "update"
    return data.curves.get(REQUESTS), "upstream request"


def judged_span(data: RunData, limits: Thresholds) -> Span:
    return Span(data.load.start_s + limits.warmup_s, data.load.end_s)


def _growth(rule: Rule, curve: Curve, data: RunData, limits: Thresholds, limit: float) -> Check:
    """Last window against the first; on a load that rose, or a service that fell behind, what is left
    after the cool-down."""
    judged = judged_span(data, limits)
    rose = load_rise(data.load_rise, request_counter(data)[0], judged, limits.window_s, data.pauses)
    how = Judging(rule.check, limit, rule.unit, limits.recovery_window_s, data.curves.get(REQUESTS))
    if rose is not None:
        return growth_after_rise(curve, data, how, rose)
    steady = growth(
        rule.check,
        curve,
        judged,
        limit,
        window_s=limits.window_s,
        unit=rule.unit,
        alpha=limits.significance,
        min_windows=limits.min_windows,
    )
    if steady.status is Status.PASS:
        return steady  # more work in flight at the end only adds: a backlog cannot hide a leak
    behind = fell_behind(data.accounting, judged)
    if behind is not None:
        # Its last windows hold the backlog's sockets, handles and records: what the cool-down
        # gives back was that work's; what it keeps is judged as kept.
        return growth_after_rise(curve, data, how, behind)
    paused = paused_load(data.pauses, judged, limits.window_s)
    if paused is None or data.cooldown is None:
        return steady
    # The catch-up after each of soak's pauses opens connections and handles a steady load would
    # not, and a pool kept busy keeps them: the level steps up after pauses. What the cool-down
    # gives back was held by that work; what it keeps is judged as kept.
    kept = growth_after_rise(curve, data, how, paused)
    return kept if kept.status is not Status.INCONCLUSIVE else steady


def _rate_after_rise(rule: Rule, curve: Curve, data: RunData, limits: Thresholds, limit: float) -> Check | None:
    """On a load that rose, a slope or per-update limit judges what the cool-down kept (None: it did not rise)."""
    counter, label = request_counter(data)
    rose = load_rise(data.load_rise, counter, judged_span(data, limits), limits.window_s, data.pauses)
    if rose is None:
        return None
    # Kept from the end of the warm-up on (what the first requests build once is not growth), spread
    # over the load after it; without a warm-up, from the idle baseline over the whole load.
    judged = judged_span(data, limits)
    before = Span(max(data.load.start_s, judged.start_s - limits.recovery_window_s), judged.start_s)
    measured = judged if before.end_s > before.start_s else data.load
    how = Judging(rule.check, limit, rule.unit, limits.recovery_window_s, data.curves.get(REQUESTS),
                  before if measured is judged else None)  # fmt: skip
    over_s = data.load.end_s - measured.start_s
    if rule.kind is Kind.SLOPE:
        return rate_after_rise(curve, data, how, rose, over=over_s, per="s", unit=judged_unit(rule))
    updates = rise_over(counter, Span(measured.start_s, data.load.end_s)) if counter is not None else 0.0
    return rate_after_rise(curve, data, how, rose, over=updates, per=label, unit=judged_unit(rule))


def evaluate_rule(
    rule: Rule, curve: Curve, data: RunData, limits: Thresholds, limit: float, *, metric: str | None = None
) -> Check:
    if rule.kind in (Kind.SLOPE, Kind.PER_REQUEST) and (kept := _rate_after_rise(rule, curve, data, limits, limit)):
        return kept
    return _evaluate_kind(rule, curve, data, limits, limit, metric=metric)


def _evaluate_kind(
    rule: Rule, curve: Curve, data: RunData, limits: Thresholds, limit: float, *, metric: str | None
) -> Check:
    judged = judged_span(data, limits)
    settings = TrendSettings(limits.window_s, limits.min_windows, limits.significance, floors=metric in FLOORED)
    match rule.kind:
        case Kind.SLOPE | Kind.PER_REQUEST if kept := _rate_after_rise(rule, curve, data, limits, limit):
            return kept
        case Kind.SLOPE:
            return slope_per_hour(rule.check, curve, judged, limit, settings, unit=rule.unit)
        case Kind.PER_REQUEST:
            per, label = request_counter(data)
            return slope_per_request(
                rule.check, curve, per, judged, limit=limit, settings=settings, per=label, unit=rule.unit
            )
        case Kind.PEAK | Kind.SUSTAINED:
            outside, apart = _apart_from_pauses(rule, curve, data, limits, limit)
            span, beyond = _up_to_overload(rule, outside, data)
            if rule.kind is Kind.PEAK:
                check = peak(rule.check, outside, span, limit, rule.unit)
            else:
                check = sustained(rule.check, outside, span, limit, window_s=limits.window_s, unit=rule.unit)
            return replace(check, detail=check.detail + apart + beyond) if apart or beyond else check
        case Kind.GROWTH:
            return _growth(rule, curve, data, limits, limit)
        case Kind.RESIDUAL | Kind.RESIDUAL_ZERO:
            baseline = data.baseline if rule.kind is Kind.RESIDUAL else None
            check = residual(
                rule.check,
                curve,
                cooldown=data.cooldown,
                baseline=baseline,
                limit=limit,
                recovery_s=limits.recovery_window_s,
                unit=rule.unit,
            )
            return _unless_draining(check, data)


# How long a client keeps an idle keep-alive connection (Node's default agent, axios's): the
# connections a service's last calls used close this long after them.
KEEPALIVE_IDLE_S = 5.0


def _unless_draining(check: Check, data: RunData) -> Check:
    """A residual above its limit while the service still called its upstreams at the end of the
    cool-down, or so late that the connections those calls used had not idled out by the residual's
    window, is the backlog it was working through (a slow or starved service), not what it kept."""
    if check.status is not Status.FAIL or check.span is None or data.cooldown is None:
        return check
    calls = data.curves.get(REQUESTS)
    draining = draining_per_s(calls, check.span, data.baseline)
    if draining > DRAINING_PER_S:
        why = (f"; work was still in flight at the end of the cool-down ({human.number(draining)} calls/s at "
               "the mocks above the baseline): lengthen the cool-down to judge what is kept")  # fmt: skip
        return replace(check, status=Status.INCONCLUSIVE, detail=check.detail + why)
    last_s = last_work_s(calls, data.cooldown, data.baseline)
    middle_s = (check.span.start_s + check.span.end_s) / 2
    if last_s is None or last_s + KEEPALIVE_IDLE_S <= middle_s:
        return check
    before_end = human.duration(data.cooldown.end_s - last_s)
    why = (f"; the service's last upstream calls came {before_end} before the end of the cool-down, and an idle "
           f"keep-alive connection lives {KEEPALIVE_IDLE_S:g} s (Node's default agent): what those calls used may "
           "not be released yet, lengthen the cool-down to judge what is kept")  # fmt: skip
    return replace(check, status=Status.INCONCLUSIVE, detail=check.detail + why)


def evaluate_rules(data: RunData, limits: Thresholds) -> list[Check]:
    checks = []
    for rule in RULES:
        limit = getattr(limits, rule.threshold)
        if limit is None:
            continue
        name = next((name for name in rule.metrics if name in data.curves), None)
        if name is None:
            detail = f"not recorded in this run: {' or '.join(rule.metrics)}"
            checks.append(Check(rule.check, Status.INCONCLUSIVE, None, float(limit), judged_unit(rule), None, detail))
            continue
        curve, apart = data.curves[name], data.curves.get(rule.apart or "")
        if apart is not None and apart.t_s.size:
            curve = Curve(curve.t_s, curve.values - value_at(apart, curve.t_s))
        check = evaluate_rule(rule, curve, data, limits, float(limit), metric=name)
        if apart is not None and apart.t_s.size:
            check = replace(check, detail=f"{check.detail} ({rule.apart} left out: judged on its own)")
        checks.append(replace(check, metric=name))
    return checks
