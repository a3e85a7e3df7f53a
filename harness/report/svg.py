"""A small line chart as inline SVG: no plotting library, no script, opens anywhere offline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 80, 10, 10, 24


@dataclass(frozen=True)
class Band:
    """A shaded stretch of the x axis (a phase or a check's span)."""

    start_s: float
    end_s: float
    label: str
    colour: str


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def _scale_all(values: FloatArray, low: float, high: float, out_low: float, out_high: float) -> FloatArray:
    """_scale on a whole array, with the same operations in the same order (the same digits)."""
    if high == low:
        return np.full(values.shape, (out_low + out_high) / 2)
    scaled: FloatArray = out_low + (values - low) * (out_high - out_low) / (high - low)
    return scaled


def _format(value: float) -> str:
    magnitude = abs(value)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if magnitude >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.3g}" if magnitude >= 0.01 or value == 0 else f"{value:.1e}"


def _duration(t_s: float) -> str:
    """Axis labels a reader takes in at a glance, whether the run lasted a minute or a night."""
    if abs(t_s) < 120:
        return f"{t_s:.0f} s"
    if abs(t_s) < 7200:
        return f"{t_s / 60:.0f} min"
    return f"{t_s / 3600:.1f} h"


def _first_extremes(values: FloatArray, column: NDArray[np.int64]) -> NDArray[np.intp]:
    """Index of the first lowest and first highest sample of each column (columns in runs)."""
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    lows = np.repeat(np.minimum.reduceat(values, starts), np.diff(np.r_[starts, values.size]))
    highs = np.repeat(np.maximum.reduceat(values, starts), np.diff(np.r_[starts, values.size]))
    kept = []
    for hits in (values == lows, values == highs):
        index = np.flatnonzero(hits)
        # The first hit of each column: where the column changes along the hits.
        kept.append(index[np.r_[True, column[index[1:]] != column[index[:-1]]]])
    return np.union1d(kept[0], kept[1])


def decimate(t_s: FloatArray, values: FloatArray, columns: int) -> tuple[FloatArray, FloatArray]:
    """At most the lowest and the highest sample of each of `columns` time columns, in time order.

    A night at 1 Hz is ~30,000 samples per curve and a pixel column holds dozens of them: drawing
    each column's extremes keeps every spike and the curve's envelope in a report a few MB smaller.
    """
    if t_s.size <= 2 * columns:
        return t_s, values
    t_low, span_s = t_s[0], (t_s[-1] - t_s[0]) or 1.0
    column = np.minimum(columns - 1, ((t_s - t_low) / span_s * columns).astype(np.int64))
    kept = _first_extremes(values, column)
    return t_s[kept], values[kept]


def line_chart(times: ArrayLike, samples: ArrayLike, bands: Sequence[Band]) -> str:
    t_s, values = np.asarray(times, dtype=np.float64), np.asarray(samples, dtype=np.float64)
    if t_s.size == 0:
        return "<p>no samples</p>"
    t_s, values = decimate(t_s, values, WIDTH - LEFT - RIGHT)
    t_low = min([float(t_s[0]), *(band.start_s for band in bands)])
    t_high = max([float(t_s[-1]), *(band.end_s for band in bands)])
    v_low, v_high = float(values.min()), float(values.max())

    def x_of(t: float) -> float:
        return _scale(t, t_low, t_high, LEFT, WIDTH - RIGHT)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img">']
    for band in bands:
        x0, x1 = x_of(band.start_s), x_of(band.end_s)
        parts.append(
            f'<rect x="{x0:.1f}" y="{TOP}" width="{max(0.0, x1 - x0):.1f}" height="{HEIGHT - TOP - BOTTOM}" '
            f'fill="{band.colour}" opacity="0.25"><title>{escape(band.label)}</title></rect>'
        )
    xs = _scale_all(t_s, t_low, t_high, LEFT, WIDTH - RIGHT)
    ys = _scale_all(values, v_low, v_high, HEIGHT - BOTTOM, TOP)
    points = " ".join(map("{:.1f},{:.1f}".format, xs.tolist(), ys.tolist()))
    parts.append(f'<polyline fill="none" stroke="#1f4e9c" stroke-width="1.5" points="{points}"/>')
    axis_y = HEIGHT - BOTTOM
    parts += [
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{axis_y}" stroke="#555"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11">{_format(v_high)}</text>',
        f'<text x="{LEFT - 4}" y="{axis_y}" text-anchor="end" font-size="11">{_format(v_low)}</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="11">{_duration(t_low)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" font-size="11">{_duration(t_high)}</text>',
        "</svg>",
    ]
    return "".join(parts)
