"""Checks that can already be seen failing mid-run, from the latest samples: a peak above its limit
stays above it (the verdict judges the highest sample of the whole run), the target's exit, and
connections the egress guard refused. Trends and ratios wait for the verdict: they can come back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.analysis.rules import RULES, Kind
from harness.config import Thresholds
from shared import human
from vocab.events import EventKind


@dataclass(frozen=True)
class PeakLimit:
    check: str
    metrics: tuple[str, ...]  # the first one recorded is judged, as in the verdict
    limit: float
    unit: str  # "B" for bytes, as the verdict shows it


@dataclass(frozen=True)
class LiveFailure:
    check: str
    detail: str


def peak_limits(limits: Thresholds, units: Mapping[str, str] | None = None) -> list[PeakLimit]:
    """Every peak the profile limits: the named ones and `[[thresholds.metric]]` entries with `max`."""
    found = [
        PeakLimit(rule.check, rule.metrics, float(getattr(limits, rule.threshold)), rule.unit)
        for rule in RULES
        if rule.kind is Kind.PEAK and getattr(limits, rule.threshold) is not None
    ]
    for entry in limits.metric:
        if entry.peak_max is not None:
            unit = (units or {}).get(entry.name, "count")
            found.append(PeakLimit(f"metric.{entry.name}.max", (entry.name,), entry.peak_max, unit))
    return found


def peaks_crossed(peaks: Mapping[str, float], limits: list[PeakLimit]) -> list[LiveFailure]:
    failures = []
    for limit in limits:
        name = next((metric for metric in limit.metrics if metric in peaks), None)
        if name is not None and peaks[name] > limit.limit:
            top = human.amount(peaks[name], limit.unit)
            failures.append(LiveFailure(limit.check, f"peak {top}, limit {human.amount(limit.limit, limit.unit)}"))
    return failures


def egress_crossed(refused: int, limits: Thresholds) -> list[LiveFailure]:
    most = limits.egress_refused_max
    if most is None or refused <= most:
        return []
    return [LiveFailure(EventKind.EGRESS_REFUSED, f"{refused} connections off the machine refused, limit {most}")]
