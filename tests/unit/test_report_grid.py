"""The page's series: a long curve on its axis's shared grid keeps every spike, in the column where
it happened and in time order; a fit or a limit keeps only the ends of its straight stretches."""

import numpy as np

from harness.analysis.model import Curve
from harness.report.chartspec import ChartPlan, ChartSpec, Role, Section, SeriesSpec
from harness.report.grid import Grid, on_grid
from harness.report.page_data import COLUMNS, page_document, straightened

DAY_S = 86_400


def test_a_day_on_the_grid_keeps_its_spike_and_its_dip_where_and_when_they_were() -> None:
    t_s = np.arange(DAY_S, dtype=float)
    values = 1e8 + (t_s % 7) * 1e3
    values[50_001] = 5e9  # a spike
    values[50_010] = 1.0  # then a dip, in the same column
    grid = Grid(0.0, DAY_S - 1.0, 1200)
    found = on_grid(t_s, values, grid)
    assert found.size == 2 * grid.columns and np.isfinite(found).all()
    column = int(50_001 / (DAY_S - 1.0) * grid.columns)
    assert found[2 * column : 2 * column + 2].tolist() == [5e9, 1.0]  # first the spike, then the dip
    others = np.delete(found, [2 * column, 2 * column + 1])
    assert others.min() == 1e8 and others.max() == 1e8 + 6e3  # every other column: its own low and high
    x = grid.x()
    assert x[2 * column] < 50_001 < x[2 * column + 1] + grid.span / grid.columns / 4


def test_columns_without_samples_are_gaps_and_nan_samples_are_left_out() -> None:
    t_s = np.array([0.0, 1.0, 2.0, 97.0, 98.0, 99.0])
    values = np.array([1.0, np.nan, 3.0, 4.0, 6.0, 5.0])
    found = on_grid(t_s, values, Grid(0.0, 99.0, 10))
    assert found[:2].tolist() == [1.0, 3.0]
    assert np.isnan(found[2:18]).all()
    assert found[18:].tolist() == [4.0, 6.0]


def test_a_straight_fit_is_sent_as_its_two_ends_and_a_step_as_its_corners() -> None:
    t_s = np.arange(60.0, 85_000.0, 60.0)
    fit = straightened(Curve(t_s, 1e8 + 30.0 * t_s))
    assert np.asarray(fit.t_s).tolist() == [60.0, t_s[-1]]
    levels = np.where(t_s < 40_000, 5.0, 9.0)
    step = straightened(Curve(t_s, levels))
    kept = np.asarray(step.t_s)
    assert kept[0] == 60.0 and kept[-1] == t_s[-1] and kept.size == 4  # the ends and each side of the step
    assert np.asarray(step.values).tolist() == [5.0, 5.0, 9.0, 9.0]
    curved = straightened(Curve(t_s[:50], np.sqrt(t_s[:50])))
    assert len(curved.t_s) == 50


def test_long_curves_share_the_grid_and_short_ones_keep_their_times() -> None:
    t_s = np.arange(DAY_S, dtype=float)
    short = Curve((0.0, 10.0, 20.0), (1.0, 2.0, 4.0))
    series = {"a": Curve(t_s, np.sin(t_s)), "b": Curve(t_s, np.cos(t_s)), "judged": short,
              "limit": Curve(t_s[::60], 7.0 + 0.0 * t_s[::60])}  # fmt: skip
    specs = (SeriesSpec("a", "a"), SeriesSpec("b", "b"), SeriesSpec("judged", "judged", Role.JUDGED),
             SeriesSpec("limit", "limit", Role.LIMIT))  # fmt: skip
    chart = ChartSpec("c", "c", "count", specs)
    plan = ChartPlan((Section("s", "s", (chart,)),), {}, series)
    document = page_document(plan, (), (), {"time": [0.0, DAY_S - 1.0]})
    assert document["grids"]["time"]["columns"] == COLUMNS
    encoded = document["series"]
    assert encoded["a"]["grid"] == encoded["b"]["grid"] == "time" and len(encoded["a"]["y"]) == 2 * COLUMNS
    assert encoded["judged"] == [[0, 10, 20], [1, 2, 4]]
    assert encoded["limit"] == [[0, 86340], [7, 7]]
