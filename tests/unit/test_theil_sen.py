"""theil_sen gives scipy's Theil-Sen slope to the last bit, on sorted, unsorted and tied inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import theilslopes

from harness.analysis.trend import theil_sen


@pytest.mark.parametrize("seed", range(20))
def test_theil_sen_is_scipys_slope_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    x = np.cumsum(rng.choice([0.0, 1.0, 2.5, 60.0], size=n)) if seed % 2 else rng.normal(0, 100, n)
    y = np.round(rng.normal(0, 1e6, n) + 3e3 * x, int(rng.integers(-3, 3)))  # rounding makes ties
    if np.ptp(x) == 0:
        assert theil_sen(x, y) == 0.0
    else:
        assert theil_sen(x, y) == float(theilslopes(y, x)[0])


def test_theil_sen_ignores_pairs_at_the_same_x_and_a_constant_x_has_no_slope() -> None:
    x = np.asarray([0.0, 0.0, 1.0, 2.0])
    y = np.asarray([5.0, 100.0, 7.0, 9.0])
    assert theil_sen(x, y) == float(theilslopes(y, x)[0])
    assert theil_sen(np.full(4, 3.0), y) == 0.0
