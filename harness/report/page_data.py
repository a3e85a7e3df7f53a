"""The charts' data as the page's one JSON document: every series once, decimated to what a chart
can show, numbers rounded to what a reader can see, so a day at 1 Hz stays a few MB."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Curve
from harness.report.chartspec import ChartPlan, ChartSpec
from harness.report.svg import Band, decimate

COLUMNS = 1200  # pixel columns of the widest chart: at most a low and a high sample each
VALUE_DIGITS = 6  # significant digits kept: a hover shows 3 or 4


def _rounded(values: NDArray[np.float64]) -> list[float | int | None]:
    """Values to VALUE_DIGITS significant digits; whole numbers as integers; NaN and inf as null."""
    finite = np.isfinite(values)
    safe = np.where(finite & (values != 0), np.abs(values), 1.0)
    scale = 10.0 ** (VALUE_DIGITS - 1 - np.floor(np.log10(safe)))
    rounded = np.where(finite, np.round(values * scale) / scale, 0.0)
    out: list[float | int | None] = []
    for value, ok in zip(rounded.tolist(), finite.tolist(), strict=True):
        out.append(None if not ok else int(value) if value.is_integer() and abs(value) < 2**53 else value)
    return out


def _times(t_s: NDArray[np.float64]) -> list[float | int]:
    return [int(t) if t.is_integer() else t for t in np.round(t_s, 2).tolist()]


def encode_series(curve: Curve, columns: int = COLUMNS) -> list[list[Any]]:
    t_s = np.asarray(curve.t_s, dtype=float)
    values = np.asarray(curve.values, dtype=float)
    kept_t, kept_v = decimate(t_s, values, columns)
    return [_times(kept_t), _rounded(kept_v)]


def _chart(chart: ChartSpec) -> dict[str, Any]:
    return {
        "title": chart.title,
        "unit": chart.unit,
        "x": chart.x.value,
        "note": chart.note,
        "series": [{"key": s.key, "label": s.label, "role": s.role.value} for s in chart.series],
    }


def time_range(curves: Iterable[Curve]) -> list[float]:
    """The whole record on the time axis: every chart spans it, so the charts align."""
    found = [curve for curve in curves if len(curve.t_s)]
    return [min((float(c.t_s[0]) for c in found), default=0.0), max((float(c.t_s[-1]) for c in found), default=1.0)]


def page_document(
    plan: ChartPlan,
    phases: Sequence[Band],
    faults: Sequence[Band],
    ranges: dict[str, list[float]],
    sync_key: str = "soak",
) -> dict[str, Any]:
    charts = [*plan.check_charts.values(), *(chart for section in plan.sections for chart in section.charts)]
    bands = [(band, False) for band in phases] + [(band, True) for band in faults]
    return {
        "sync": "soak",
        "x_range": ranges,
        "bands": [
            {"start": b.start_s, "end": b.end_s, "label": b.label, "colour": b.colour, "fault": fault}
            for b, fault in bands
            if math.isfinite(b.start_s) and math.isfinite(b.end_s)
        ],
        "charts": {chart.id: _chart(chart) for chart in charts},
        "series": {key: encode_series(plan.series[key]) for key in sorted(plan.used_keys())},
    }


def script_json(document: dict[str, Any]) -> str:
    """JSON safe inside <script type="application/json">: no "</" can close the element early."""
    return json.dumps(document, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
