"""What the report charts, grouped and ordered: plain data that the HTML renderer turns into charts.

A plan names every series it draws and holds each one's samples once (a curve drawn in a check's
chart and in its section is stored once in the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from harness.analysis.model import Curve


class Role(StrEnum):
    """How a series is drawn: the recorded curve, or one of the lines a check hands over."""

    LINE = "line"
    JUDGED = "judged"  # what the check judged (window medians, ratios per window)
    FIT = "fit"  # the fitted trend or the levels compared
    LIMIT = "limit"  # the threshold
    OTHER_RUN = "other"  # the second run in a comparison


class XAxis(StrEnum):
    TIME = "time"  # seconds since the run started
    UPDATES = "updates"  # updates handled by then


@dataclass(frozen=True)
class SeriesSpec:
    key: str  # into ChartPlan.series
    label: str
    role: Role = Role.LINE


@dataclass(frozen=True)
class ChartSpec:
    id: str
    title: str
    unit: str  # of the y axis: "bytes", "count", "seconds", "percent", "per_s", "calls/update", ...
    series: tuple[SeriesSpec, ...]
    x: XAxis = XAxis.TIME
    note: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    charts: tuple[ChartSpec, ...]
    intro: str = ""
    collapsed: bool = False  # drawn when the reader opens it


@dataclass(frozen=True)
class Flat:
    """A recorded curve that never moved: a line in a table, not a chart."""

    name: str
    unit: str
    value: float
    samples: int


@dataclass(frozen=True)
class Table:
    """A table a section shows under its charts (e.g. the heap snapshots' top growers)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class ChartPlan:
    sections: tuple[Section, ...]
    check_charts: Mapping[str, ChartSpec]  # check name -> the chart drawn next to its row
    series: Mapping[str, Curve]  # every series any chart names, by key
    flat: tuple[Flat, ...] = ()
    no_chart: Mapping[str, str] = field(default_factory=dict)  # check name -> why it has no chart

    def used_keys(self) -> set[str]:
        charts = [*self.check_charts.values(), *(chart for section in self.sections for chart in section.charts)]
        return {series.key for chart in charts for series in chart.series}
