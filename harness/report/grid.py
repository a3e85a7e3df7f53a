"""Long curves on one shared x grid: each pixel column's lowest and highest sample, in time order,
at two fixed places in the column, so every long curve of a chart shares one x array.

The browser then draws a chart's curves without merging their x values (a night's curves each kept
extremes at their own times, and a chart of seven curves drew seven times the points, most of them
gaps), and the page carries the x values once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
SLOTS = (0.25, 0.75)  # where in its column the first and the second extreme are placed


@dataclass(frozen=True)
class Grid:
    start: float
    span: float
    columns: int

    def x(self) -> FloatArray:
        """The grid's x values: two per column."""
        width = self.span / self.columns
        column = np.repeat(np.arange(self.columns, dtype=float), len(SLOTS))
        slot = np.tile(np.asarray(SLOTS), self.columns)
        result: FloatArray = self.start + (column + slot) * width
        return result


def _first_hits(hits: NDArray[np.bool_], group: IntArray) -> IntArray:
    """Index of the first hit of each group (every group has one; groups are runs)."""
    index = np.flatnonzero(hits)
    first: IntArray = index[np.r_[True, group[index[1:]] != group[index[:-1]]]]
    return first


def on_grid(t_s: FloatArray, values: FloatArray, grid: Grid) -> FloatArray:
    """The curve's values on the grid: per column its first and its later extreme (lowest or
    highest, whichever came first in time goes first); NaN in columns without a finite sample.
    Every spike stays, within a column of where it was."""
    out = np.full(grid.columns * len(SLOTS), np.nan)
    finite = np.isfinite(values) & np.isfinite(t_s)
    t_s, values = t_s[finite], values[finite]
    if t_s.size == 0:
        return out
    scaled = (t_s - grid.start) / (grid.span or 1.0) * grid.columns
    column = np.clip(scaled.astype(np.int64), 0, grid.columns - 1)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    lengths = np.diff(np.r_[starts, values.size])
    group = np.repeat(np.arange(starts.size), lengths)
    low = _first_hits(values == np.repeat(np.minimum.reduceat(values, starts), lengths), group)
    high = _first_hits(values == np.repeat(np.maximum.reduceat(values, starts), lengths), group)
    first, later = np.minimum(low, high), np.maximum(low, high)
    where = column[starts] * len(SLOTS)
    out[where] = values[first]
    out[where + 1] = values[later]
    return out
