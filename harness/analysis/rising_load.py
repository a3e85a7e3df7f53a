"""Growth checks on a run whose load rose (a knee, a ramp, a rising arrival rate): the first and last
windows then differ in work in flight, not in what the service keeps, so what is left after the
cool-down, once that work drained, is judged against the level before the load instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from harness.analysis.guides import flat
from harness.analysis.model import Check, Curve, GuideRole, Pause, RunData, Span, Status
from harness.analysis.pauses import WINDOW_SHARE, material
from harness.analysis.windows import FloatArray, rise_over, within
from shared import human

RISE_FACTOR = 1.5  # the last third's rate over the first's; a steady load moves by less
MIN_RISE_PER_S = 1.0  # updates/s: below it, a few more requests in flight cannot show in counts
# Calls at the mocks per second at the end of the cool-down above the baseline's: work still draining.
DRAINING_PER_S = 0.5
# The counter is read about once a second: the sample interval that ends inside a pause is held up too.
SAMPLE_SLACK_S = 1.0
MIN_RATE_LOAD_S = 600.0  # a per-hour rate from what a load that rose kept needs this much load to fail


@dataclass(frozen=True)
class LoadRise:
    why: str

    def words(self) -> str:
        return self.why


def _rate_apart(counter: Curve, part: Span, pauses: Sequence[Pause], window_s: float) -> float | None:
    """Updates per second over the part's time outside these pauses and the window after each (where
    the work they held lands at once); None with less than a window of it left."""
    t_s, counts = within(counter, part)
    if t_s.size < 2:
        return None
    starts_s, sent = t_s[:-1], np.diff(counts)
    held = np.zeros(starts_s.shape, dtype=bool)
    for pause in pauses:
        held |= (starts_s >= pause.span.start_s - SAMPLE_SLACK_S) & (starts_s < pause.span.end_s + window_s)
    free_s = float(np.diff(t_s)[~held].sum())
    return float(sent[~held].sum()) / free_s if free_s >= window_s else None


def load_rise(
    declared: str | None, counter: Curve | None, span: Span, window_s: float, pauses: Sequence[Pause] = ()
) -> LoadRise | None:
    """The profile's word that it raises the load, or the judged span's first and last thirds' rates
    when the load rose between them (a locustfile of the user's own), soak's own long pauses left out."""
    if declared is not None:
        # A knee or a ramp may rise in the warm-up and overload the service after it, where the
        # rates of the judged windows no longer differ but the work queued does.
        return LoadRise(declared)
    if counter is None or counter.t_s.size < 2 or span.end_s - span.start_s < 2 * window_s:
        return None
    # A third of the span, not one window: closed-model users fire in step (20 users at 0.25/s read
    # as 20 updates every 4 s), so one 5 s window's rate read 0, 4 or 8 updates/s on a steady 5/s
    # load and a clean run's memory was judged as a load that rose. Pauses shorter than a window (a
    # census every few windows) leave a third's count as it was: users whose request waited out the
    # pause wait that much less for the next. A longer one (a heap snapshot) is left out of it.
    part_s = max(window_s, (span.end_s - span.start_s) / 3)
    long_pauses = material(pauses, window_s)
    first = _rate_apart(counter, Span(span.start_s, span.start_s + part_s), long_pauses, window_s)
    last = _rate_apart(counter, Span(span.end_s - part_s, span.end_s), long_pauses, window_s)
    if first is None or last is None:
        return None  # soak's pauses held up most of a third: no rise can be told
    if last > RISE_FACTOR * first and last - first >= MIN_RISE_PER_S:
        return LoadRise(
            f"the load rose from {human.number(first)} to {human.number(last)} updates/s over the judged span"
        )
    return None


def paused_load(pauses: Sequence[Pause], span: Span, window_s: float) -> LoadRise | None:
    """soak's own pauses in the judged span long enough to move a window's count (a catch-up burst
    after each), in words; None without any."""
    inside = [p for p in material(pauses, window_s * WINDOW_SHARE) if span.start_s <= p.span.start_s < span.end_s]
    if not inside:
        return None
    longest = max(inside, key=lambda p: p.duration_s)
    return LoadRise(f"soak paused the target {len(inside)} times in the judged span (longest {longest.label}), "
                    "and the catch-up after each raised the concurrency")  # fmt: skip


def _calls_per_s(calls: Curve | None, span: Span) -> float:
    if calls is None or span.end_s <= span.start_s:
        return 0.0
    return rise_over(calls, span) / (span.end_s - span.start_s)


def last_work_s(calls: Curve | None, span: Span, baseline: Span | None) -> float | None:
    """When, in the span, the mocks last got more calls between two readings than the baseline's
    rate brings plus one (a service polling in the background is not working); None if never."""
    if calls is None or baseline is None:
        return None
    base_per_s = max(_calls_per_s(calls, baseline), 0.0)
    t_s, counts = within(calls, span)
    if t_s.size < 2:
        return None
    worked = np.diff(counts) > base_per_s * np.diff(t_s) + 1.0
    return float(t_s[1:][worked][-1]) if worked.any() else None


def draining_per_s(calls: Curve | None, tail: Span, baseline: Span | None) -> float:
    """Calls per second at the mocks in the tail of the cool-down above the idle baseline's: the
    service still working through what the load left it (0 where either is unknown)."""
    if baseline is None:
        return 0.0
    return _calls_per_s(calls, tail) - _calls_per_s(calls, baseline)


@dataclass(frozen=True)
class Judging:
    """What a growth check needs to judge a run whose load rose."""

    name: str
    limit: float
    unit: str
    recovery_s: float
    calls: Curve | None  # cumulative calls at the mocks: still rising at the end means work in flight
    # Where the kept part is measured from, when not the idle baseline: memory after GC keeps what
    # the first requests build once (compiled code, pools, caches of fixed size), so its level at
    # the end of the warm-up (its floor: work in flight only adds) is the reference.
    before: Span | None = None


def _readings(curve: Curve, span: Span, earliest_s: float) -> FloatArray:
    """The span's samples, or the last one before its end (not before earliest_s): a curve read
    less often than the span is long (memory after a forced GC every 30 s, a 20 s baseline) keeps
    its last reading until the next."""
    _, values = within(curve, span)
    if values.size > 0:
        return values
    last = int(np.searchsorted(curve.t_s, span.end_s, side="right")) - 1
    if last >= 0 and curve.t_s[last] >= earliest_s:
        return curve.values[last : last + 1]
    return values


def growth_after_rise(curve: Curve, data: RunData, how: Judging, rose: LoadRise) -> Check:
    """Lowest level in the cool-down's last recovery window minus the median before the load: idle
    connections that time out within that window have come back, a leak has not."""
    name, limit, unit = how.name, how.limit, how.unit
    if data.cooldown is None or data.baseline is None:
        missing = "cool-down" if data.cooldown is None else "baseline"
        why = f"{rose.words()}; with no {missing} to compare, growth cannot be told from work in flight"
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, data.load, why)
    tail = Span(max(data.cooldown.start_s, data.cooldown.end_s - how.recovery_s), data.cooldown.end_s)
    end_values = _readings(curve, tail, earliest_s=data.cooldown.start_s)
    base_values = _readings(curve, how.before or data.baseline, earliest_s=float("-inf"))
    if end_values.size == 0 or base_values.size == 0:
        why = (
            f"{rose.words()}; no samples {'at the end of the cool-down' if end_values.size == 0 else 'before the load'}"
        )
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, tail, why)
    draining = draining_per_s(how.calls, tail, data.baseline)
    if draining > DRAINING_PER_S:
        why = (f"{rose.words()}, and work was still in flight at the end of the cool-down "
               f"({human.number(draining)} calls/s "
               "at the mocks above the baseline): lengthen the cool-down to judge what is kept")  # fmt: skip
        return Check(name, Status.INCONCLUSIVE, None, limit, unit, tail, why)
    level = float(end_values.min())
    base = float(np.median(base_values)) if how.before is None else float(base_values.min())
    reference = "before load" if how.before is None else "at the end of the warm-up"
    detail = (f"{rose.words()}, so its first and last windows differ in work in flight: judged after the "
              f"cool-down instead, {human.amount(level, unit)} vs {human.amount(base, unit)} {reference}, "
              f"limit +{human.amount(limit, unit)}")  # fmt: skip
    guides = (
        flat(GuideRole.FIT, "lowest after cool-down", tail, level),
        flat(GuideRole.FIT, f"level {reference}", how.before or data.baseline, base),
        flat(GuideRole.LIMIT, "limit", tail, base + limit),
    )
    status = Status.PASS if level - base <= limit else Status.FAIL
    return Check(name, status, level - base, limit, unit, tail, detail, guides=guides)


def rate_after_rise(
    curve: Curve, data: RunData, how: Judging, rose: LoadRise, *, over: float, per: str, unit: str
) -> Check:
    """A slope or per-update limit on a load that rose: what the cool-down kept, spread over the
    load's `over` (its seconds or its updates; `unit` the check's, e.g. bytes/s). A fit across the
    run would measure the work in flight growing with the rate, not what the service keeps."""
    rate_unit = unit
    if over <= 0:
        why = f"{rose.words()}; no {per} in the load to spread what the cool-down kept over"
        return Check(how.name, Status.INCONCLUSIVE, None, how.limit, rate_unit, data.load, why)
    total = replace(how, limit=how.limit * over)
    kept = growth_after_rise(curve, data, total, rose)
    if kept.figure is None:
        return replace(kept, limit=how.limit, unit=rate_unit)
    figure = kept.figure / over

    def rate(value: float) -> str:
        return human.per_hour(value, how.unit) if per == "s" else human.rate(value, how.unit, per)

    spread = f"{human.duration(over)} of load" if per == "s" else f"{human.count(over)} {per}s"
    detail = (f"{kept.detail}: {human.amount(kept.figure, how.unit)} kept over {spread} "
              f"= {rate(figure)}, limit {rate(how.limit)}")  # fmt: skip
    if per == "s" and over < MIN_RATE_LOAD_S and figure > how.limit:
        # What a service keeps once after a higher rate (tables and pools sized for it) is no rate
        # of growth, and spread over a few minutes it reads as one: a knee 3 min long kept 1.6 MiB
        # of the clean bot's heap, "33 MiB/h".
        detail += (f"; over less than {human.duration(MIN_RATE_LOAD_S)} of load what is kept once reads as a rate: "
                   "not judged per hour (a limit per update judges it)")  # fmt: skip
        return replace(kept, status=Status.INCONCLUSIVE, figure=figure, limit=how.limit, unit=rate_unit, detail=detail)
    return replace(kept, figure=figure, limit=how.limit, unit=rate_unit, detail=detail)
