"""Robust trend estimates: Theil-Sen slope, and a Mann-Kendall test that tolerates autocorrelation."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pymannkendall
from numpy.typing import NDArray
from scipy.stats import theilslopes


@dataclass(frozen=True)
class Trend:
    slope: float
    p_value: float
    increasing: bool


def theil_sen(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    if np.ptp(x) == 0:
        return 0.0
    return float(theilslopes(y, x)[0])


def theil_sen_intercept(x: NDArray[np.float64], y: NDArray[np.float64], slope: float) -> float:
    """The intercept scipy's theilslopes pairs with its slope: median(y) - slope * median(x)."""
    return float(np.median(y) - slope * np.median(x))


def mann_kendall_p(y: NDArray[np.float64]) -> tuple[float, bool]:
    """p-value of a monotonic trend (Hamed-Rao variance correction) and whether it rises."""
    if np.ptp(y) == 0:
        return 1.0, False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny samples make the correction warn; p stays valid
        result = pymannkendall.hamed_rao_modification_test(y)
        if np.isnan(result.p):
            # A noise-free ramp leaves no residual autocorrelation to correct for (the
            # correction divides by zero); the uncorrected test is exact there.
            result = pymannkendall.original_test(y)
    return float(result.p), bool(result.s > 0)


def trend(x: NDArray[np.float64], y: NDArray[np.float64]) -> Trend:
    p_value, increasing = mann_kendall_p(y)
    return Trend(slope=theil_sen(x, y), p_value=p_value, increasing=increasing)
