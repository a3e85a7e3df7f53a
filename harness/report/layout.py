"""The report's charts in the order a person investigates: memory, handles, work, upstream faults,
then, collapsed, everything else the collector recorded; and a chart next to each judged check.

Pure: it picks and groups the curves of RunData, the work series of its accounting and the lines
the checks carry; it computes no figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from harness.analysis.model import Curve, RunData, Verdict
from harness.analysis.rules import FAILURES, UPDATES
from harness.report import work_series as work
from harness.report.chartspec import ChartPlan, ChartSpec, Flat, Section, SeriesSpec
from harness.report.check_charts import check_charts
from harness.report.sections import REST_ID, REST_TITLE, SECTIONS, Group
from vocab.metrics import LOAD_CURVES, unit_of

# Curves a chart never shows on their own: the cumulative count the other load curves come from.
_HIDDEN = frozenset({UPDATES, FAILURES})


class Units:
    """Unit of each series: the store's catalogue, Locust's history, the work series."""

    def __init__(self, catalogue: Mapping[str, str], series: Mapping[str, Curve]) -> None:
        known: dict[str, str] = {name: unit_of(name) for name in LOAD_CURVES}
        known.update({work.COMPLETED: "count", work.LOST: "count", work.EXPLAINED: "count"})
        known.update({key: "seconds" for key in work.E2E_QUANTILES})
        known.update({key: "calls/update" for key in series if key.startswith(work.CALLS_PER_UPDATE)})
        known[work.ERROR_RATIO] = "ratio"
        self._of = {**known, **catalogue}

    def __call__(self, name: str) -> str:
        return self._of.get(name, "count")


def is_flat(curve: Curve) -> bool:
    values = np.asarray(curve.values, dtype=float)
    return values.size > 0 and float(np.nanmax(values)) == float(np.nanmin(values))


def _group_chart(group: Group, names: Sequence[str], units: Units) -> ChartSpec | None:
    members = group.members(names)
    if not members:
        return None
    series = tuple(SeriesSpec(name, group.label(name)) for name in members)
    return ChartSpec(group.id, group.title, units(members[0]), series, note=group.note)


def _rest(names: Sequence[str], series: Mapping[str, Curve], units: Units) -> tuple[Section, list[Flat]]:
    """One chart per curve no section took; a curve that never moved is a line of the flat table."""
    charts, flat = [], []
    for name in names:
        curve = series[name]
        if is_flat(curve):
            flat.append(Flat(name, units(name), float(curve.values[0]), len(curve.values)))
        else:
            charts.append(ChartSpec(f"other-{name}", name, units(name), (SeriesSpec(name, name),)))
    intro = (
        f"{len(charts)} curves no section above shows (the collector's own cost, soak's processes, the "
        f"mocks' counters), and {len(flat)} that never moved, listed at the end."
    )
    return Section(REST_ID, REST_TITLE, tuple(charts), intro, collapsed=True), flat


def chart_plan(verdict: Verdict, data: RunData, catalogue: Mapping[str, str]) -> ChartPlan:
    """Every chart of report.html. catalogue: the unit of each recorded metric ("bytes", "count"...)."""
    series: dict[str, Curve] = dict(data.curves)
    series.update(work.accounting_series(data.accounting))
    if (ratio := work.error_ratio(data.curves)) is not None:
        series[work.ERROR_RATIO] = ratio
    units = Units(catalogue, series)
    free = [name for name in sorted(series) if name not in _HIDDEN]
    sections = []
    for section in SECTIONS:
        charts = []
        for group in section.groups:
            chart = _group_chart(group, free, units)
            if chart is not None:
                charts.append(chart)
                taken = {s.key for s in chart.series}
                free = [name for name in free if name not in taken]
        sections.append(section.spec(tuple(charts)))
    rest, flat = _rest(free, series, units)
    by_check, lines, no_chart = check_charts(verdict.checks, series, units)
    series.update(lines)
    return ChartPlan((*sections, rest), by_check, series, tuple(flat), no_chart)
