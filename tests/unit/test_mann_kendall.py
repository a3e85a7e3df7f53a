"""Our vectorised Mann-Kendall S, var(S) and p against pymannkendall's original test, on series with
and without ties, shorter and longer than a block of rows."""

import numpy as np
import pymannkendall
import pytest

from harness.analysis.trend import original_test


@pytest.mark.parametrize("n", [3, 4, 10, 255, 256, 257, 600, 1400])
@pytest.mark.parametrize("kind", ["walk", "ties", "ramp", "falling"])
def test_the_plain_test_is_pymannkendalls(n: int, kind: str) -> None:
    rng = np.random.default_rng(n)
    y = {
        "walk": rng.normal(size=n).cumsum(),
        "ties": np.round(rng.normal(size=n) * 2),  # a handful of distinct values: many ties
        "ramp": np.arange(n, dtype=np.float64),
        "falling": -np.arange(n, dtype=np.float64) + rng.normal(size=n),
    }[kind]
    expected, found = pymannkendall.original_test(y), original_test(y)
    assert found.s == expected.s
    assert found.var_s == pytest.approx(expected.var_s, rel=1e-12)
    assert found.p == pytest.approx(expected.p, rel=1e-9, abs=1e-15)
