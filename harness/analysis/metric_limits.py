"""Limits on any recorded metric by its name (`[[thresholds.metric]]`), judged like the named checks.

A name the run did not record is inconclusive, with the recorded names that look like it, so a
typo never passes silently.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from harness.analysis.model import Check, RunData, Status
from harness.analysis.rules import Kind, Rule, evaluate_rule, judged_unit
from harness.config import MetricLimit, Thresholds

BYTES_UNIT = "B"


def unit_label(data: RunData, name: str) -> str:
    """The unit a metric's figures are shown in: "B" for bytes, else the catalogue's ("count" if unknown)."""
    info = data.catalogue.get(name)
    if info is None:
        return "count"
    return BYTES_UNIT if info.unit == "bytes" else info.unit


def _limits(entry: MetricLimit) -> list[tuple[str, Kind, float]]:
    wanted = (
        ("per_update", Kind.PER_REQUEST, entry.per_update_max),
        ("per_hour", Kind.SLOPE, entry.per_hour_max_s),
        ("growth", Kind.GROWTH, entry.growth_max),
        ("max", Kind.PEAK, entry.peak_max),
        ("residual", Kind.RESIDUAL, entry.residual_max),
    )
    return [(suffix, kind, limit) for suffix, kind, limit in wanted if limit is not None]


def _unrecorded(data: RunData, entry: MetricLimit, rule: Rule, limit: float) -> Check:
    alike = difflib.get_close_matches(entry.name, list(data.curves), n=3, cutoff=0.6)
    hint = f"; recorded names alike: {', '.join(alike)}" if alike else "; see the metrics table of samples.db"
    detail = f"{entry.name} is not recorded in this run{hint}"
    return Check(rule.check, Status.INCONCLUSIVE, None, limit, judged_unit(rule), None, detail, entry.name)


def evaluate_metric_limits(data: RunData, limits: Thresholds) -> list[Check]:
    checks = []
    for entry in limits.metric:
        curve = data.curves.get(entry.name)
        unit = unit_label(data, entry.name)
        for suffix, kind, limit in _limits(entry):
            rule = Rule(f"metric.{entry.name}.{suffix}", "metric", kind, (entry.name,), unit)
            if curve is None:
                checks.append(_unrecorded(data, entry, rule, limit))
                continue
            check = evaluate_rule(rule, curve, data, limits, limit, metric=entry.name)
            checks.append(replace(check, metric=entry.name))
    return checks
