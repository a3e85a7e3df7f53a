"""Mann-Kendall's trend test, plain and with Hamed and Rao's (1998) correction for autocorrelation:
pymannkendall's formulas (original_test, hamed_rao_modification_test), computed with numpy.

The library spends a Python step per row scoring S, another per lag correcting it, and computes a
Sen slope per test that we already have: two thirds of the judging of a day-long run
(`python -m benchmarks.report_scale`). tests/unit/test_mann_kendall.py holds both to the library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri  # norm.ppf, without importing scipy.stats (1 s of CPU)

_SCORE_ROWS = 256  # pairs scored a block of rows at a time: 256 x 2000 differences, 4 MB
_LAG_ALPHA = 0.05  # a lag's autocorrelation counts when significant at this level (the library's default)


@dataclass(frozen=True)
class MannKendall:
    s: float  # Mann-Kendall's score: rises minus falls over every pair
    var_s: float
    p: float  # two-sided; NaN where the correction is undefined (a noise-free ramp)


def _score(y: NDArray[np.float64]) -> float:
    n, s = y.size, 0.0
    for start in range(0, n - 1, _SCORE_ROWS):
        rows = y[start : start + _SCORE_ROWS, None]
        later = np.arange(n)[None, :] > np.arange(start, start + rows.shape[0])[:, None]
        s += float(np.sign(y[None, :] - rows)[later].sum())
    return s


def _p(s: float, var_s: float) -> float:
    if math.isnan(var_s) or var_s < 0:
        return math.nan
    z = 0.0 if s == 0 or var_s == 0 else (s - math.copysign(1.0, s)) / math.sqrt(var_s)
    return math.erfc(abs(z) / math.sqrt(2))  # 2 * (1 - Phi(|z|)), without its cancellation


def original_test(y: NDArray[np.float64]) -> MannKendall:
    """S, its variance corrected for ties, and the two-sided p of the uncorrected test."""
    n = y.size
    _, ties = np.unique(y, return_counts=True)
    var_s = float(n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18
    s = _score(y)
    return MannKendall(s, var_s, _p(s, var_s))


def rankdata(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks from 1, ties sharing their average rank: scipy.stats.rankdata's default."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, values.size))
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(starts + (counts + 1) / 2, counts)
    return ranks


def _acf(values: NDArray[np.float64]) -> NDArray[np.float64]:
    centred = values - values.mean()
    n = values.size
    autocovariance = np.correlate(centred, centred, "full")[n - 1 :] / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(autocovariance / autocovariance[0])


def hamed_rao_test(y: NDArray[np.float64], plain: MannKendall, index_slope: float) -> MannKendall:
    """The plain test's variance inflated by the significant lags of the autocorrelation of the
    ranks of y detrended by its Sen slope against the index 1..n (index_slope)."""
    n = y.size
    ranks = rankdata(y - np.arange(1, n + 1) * index_slope)
    acf = _acf(ranks)[1:n]
    bound = float(ndtri(1 - _LAG_ALPHA / 2)) / math.sqrt(n)
    lag = np.arange(1, n, dtype=np.float64)
    counted = ~((acf <= bound) & (acf >= -bound))  # NaN counts, as in the library: it makes p NaN
    weights = (n - lag) * (n - lag - 1) * (n - lag - 2)
    inflation = 1 + 2 / (n * (n - 1) * (n - 2)) * float(np.sum(weights[counted] * acf[counted]))
    var_s = plain.var_s * inflation
    return MannKendall(plain.s, var_s, _p(plain.s, var_s))
