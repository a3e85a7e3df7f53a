"""Robust trend estimates: Theil-Sen slope with a confidence bound, and a Mann-Kendall test that
tolerates autocorrelation (the Hamed-Rao correction of the variance of S)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pymannkendall
from numpy.typing import NDArray
from scipy.stats import norm, theilslopes


@dataclass(frozen=True)
class Trend:
    slope: float
    p_value: float
    increasing: bool
    var_s: float  # variance of Mann-Kendall's S, corrected for autocorrelation


def theil_sen(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    if np.ptp(x) == 0:
        return 0.0
    return float(theilslopes(y, x)[0])


def _ar1_variance_factor(y: NDArray[np.float64]) -> float:
    """n/n* for an AR(1) series (Matalas & Sankarasubramanian 1967): how much autocorrelation
    inflates var(S). The lag-1 correlation of the Sen-detrended series is biased low in short
    series; Kendall's first-order correction (+(1 + 4 rho) / n) puts it back."""
    n = y.size
    x = np.arange(n, dtype=float)
    residual = y - theil_sen(x, y) * x
    residual = residual - residual.mean()
    energy = float(np.sum(residual * residual))
    if energy == 0:
        return 1.0
    rho = float(np.sum(residual[1:] * residual[:-1])) / energy
    rho = min(0.99, max(0.0, rho + (1 + 4 * max(rho, 0.0)) / n))
    lags = np.arange(1, n)
    return float(1 + 2 * np.sum((1 - lags / n) * rho**lags))


def mann_kendall(y: NDArray[np.float64]) -> tuple[float, bool, float]:
    """p-value of a monotonic trend, whether it rises, and var(S) corrected for autocorrelation.

    Hamed-Rao's correction counts only the lags significant at 5 %, which a short series rarely
    shows: on AR(1) noise with rho 0.8 over 15-60 windows it called 11-16 % of trendless series
    rising at a nominal 2.5 %. The variance used is the larger of Hamed-Rao's and the AR(1)
    inflation of the tie-corrected variance, which kept that rate at 4-6 % (tests/unit/
    test_trend_properties.py measures it).
    """
    if y.size < 3 or np.ptp(y) == 0:
        return 1.0, False, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny samples make the correction warn
        plain = pymannkendall.original_test(y)
        hamed_rao = pymannkendall.hamed_rao_modification_test(y)
    var_s = float(plain.var_s) * _ar1_variance_factor(y)
    if np.isfinite(hamed_rao.var_s):
        var_s = max(var_s, float(hamed_rao.var_s))
    s = float(plain.s)
    if var_s <= 0 or s == 0:
        return 1.0, s > 0, var_s
    z = (s - math.copysign(1.0, s)) / math.sqrt(var_s)  # continuity correction
    return float(2 * norm.sf(abs(z))), s > 0, var_s


def trend(x: NDArray[np.float64], y: NDArray[np.float64]) -> Trend:
    p_value, increasing, var_s = mann_kendall(y)
    return Trend(slope=theil_sen(x, y), p_value=p_value, increasing=increasing, var_s=var_s)


def slope_upper_bound(x: NDArray[np.float64], y: NDArray[np.float64], alpha: float) -> float:
    """One-sided (1 - alpha) upper confidence bound of the Theil-Sen slope (Sen 1968, as in
    Gilbert 1987 §16.5), from the autocorrelation-corrected variance of S, so a wandering
    series gets a wide bound rather than a falsely tight one. Few points give the largest
    pairwise slope: no evidence of flatness."""
    i, j = np.triu_indices(x.size, k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    slopes = np.sort((y[j] - y[i])[keep] / dx[keep])
    if slopes.size == 0:
        return math.inf
    _, _, var_s = mann_kendall(y)
    spread = float(norm.ppf(1 - alpha)) * math.sqrt(max(var_s, 0.0))
    rank = min(slopes.size, math.ceil((slopes.size + spread) / 2))  # 1-based rank of the bound
    return float(slopes[rank - 1])
