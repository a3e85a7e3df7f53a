"""The charts' data as the page's one JSON document: every series once, decimated to what a chart
can show, numbers rounded to what a reader can see, so a day at 1 Hz stays a few MB. A curve longer
than a chart has columns is put on its axis's shared grid (grid.py): its values only, no x values."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from harness.analysis.model import Curve
from harness.report.chartspec import ChartPlan, ChartSpec, Role
from harness.report.grid import SLOTS, Grid, on_grid
from harness.report.svg import Band, decimate

COLUMNS = 1200  # pixel columns of the widest chart: at most a low and a high sample each
VALUE_DIGITS = 6  # significant digits kept: a hover shows 3 or 4
STRAIGHT_TOLERANCE = 1e-9  # of the largest value: far below the digits kept


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


def _on_grid(curve: Curve, grid: Grid) -> dict[str, Any]:
    values = on_grid(np.asarray(curve.t_s, dtype=float), np.asarray(curve.values, dtype=float), grid)
    return {"y": _rounded(values)}


def _grids(ranges: dict[str, list[float]]) -> dict[str, Grid]:
    return {axis: Grid(low, high - low, COLUMNS) for axis, (low, high) in ranges.items() if high > low}


def straightened(curve: Curve) -> Curve:
    """The curve without the points that lie on the straight line between their neighbours: a
    fitted trend or a limit evaluated at every window is drawn the same from its two ends."""
    t_s, values = np.asarray(curve.t_s, dtype=float), np.asarray(curve.values, dtype=float)
    if t_s.size < 3 or not (np.isfinite(t_s).all() and np.isfinite(values).all()):
        return curve
    run_s = t_s[2:] - t_s[:-2]
    share = np.divide(t_s[1:-1] - t_s[:-2], run_s, out=np.zeros_like(run_s), where=run_s > 0)
    between = values[:-2] + (values[2:] - values[:-2]) * share
    tolerance = STRAIGHT_TOLERANCE * max(float(np.abs(values).max()), 1e-300)
    inner = (np.abs(values[1:-1] - between) <= tolerance) & (run_s > 0)
    kept = np.r_[True, ~inner, True]
    return Curve(t_s[kept], values[kept])


def _encoded(plan: ChartPlan, charts: list[ChartSpec], grids: dict[str, Grid]) -> dict[str, Any]:
    """Every series once: on its axis's grid when it has more samples than the grid has places
    (and only one axis uses it); a fit or a limit by the ends of its straight stretches; else as
    it was recorded."""
    axes: dict[str, set[str]] = {}
    roles: dict[str, set[Role]] = {}
    for chart in charts:
        for series in chart.series:
            axes.setdefault(series.key, set()).add(chart.x.value)
            roles.setdefault(series.key, set()).add(series.role)
    encoded: dict[str, Any] = {}
    for key in sorted(axes):
        curve, (axis, *others) = plan.series[key], sorted(axes[key])
        grid = grids.get(axis)
        if roles[key] <= {Role.FIT, Role.LIMIT}:
            encoded[key] = encode_series(straightened(curve))
        elif grid is not None and not others and len(curve.t_s) > 2 * grid.columns:
            encoded[key] = {"grid": axis, **_on_grid(curve, grid)}
        else:
            encoded[key] = encode_series(curve)
    return encoded


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
    grids = _grids(ranges)
    return {
        "sync": "soak",
        "x_range": ranges,
        "bands": [
            {"start": b.start_s, "end": b.end_s, "label": b.label, "colour": b.colour, "fault": fault}
            for b, fault in bands
            if math.isfinite(b.start_s) and math.isfinite(b.end_s)
        ],
        "grids": {
            axis: {"start": g.start, "span": g.span, "columns": g.columns, "slots": SLOTS} for axis, g in grids.items()
        },
        "charts": {chart.id: _chart(chart) for chart in charts},
        "series": _encoded(plan, charts, grids),
    }


def script_json(document: dict[str, Any]) -> str:
    """JSON safe inside <script type="application/json">: no "</" can close the element early."""
    return json.dumps(document, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
