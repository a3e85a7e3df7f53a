"""Our Mann-Kendall tests (harness/analysis/mann_kendall.py) against pymannkendall's, on series with
and without ties, autocorrelated or not, shorter and longer than a block of rows."""

import warnings

import numpy as np
import pymannkendall
import pytest
import scipy.stats

from harness.analysis.mann_kendall import hamed_rao_test, original_test, rankdata
from harness.analysis.trend import mann_kendall, theil_sen


def _series(n: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(n)
    return {
        "walk": rng.normal(size=n).cumsum(),
        "ties": np.round(rng.normal(size=n) * 2),  # a handful of distinct values: many ties
        "ramp": np.arange(n, dtype=np.float64),  # noise-free: the correction is undefined
        "falling": -np.arange(n, dtype=np.float64) + rng.normal(size=n) * 20,
        "ar1": np.convolve(rng.normal(size=n + 20), 0.8 ** np.arange(20), "valid")[:n],
    }[kind]


@pytest.mark.parametrize("n", [3, 4, 10, 255, 256, 257, 600, 1400])
@pytest.mark.parametrize("kind", ["walk", "ties", "ramp", "falling", "ar1"])
def test_both_tests_are_pymannkendalls(n: int, kind: str) -> None:
    y = _series(n, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_plain = pymannkendall.original_test(y)
        expected = pymannkendall.hamed_rao_modification_test(y)
    plain = original_test(y)
    assert plain.s == expected_plain.s
    assert plain.var_s == pytest.approx(expected_plain.var_s, rel=1e-12)
    assert plain.p == pytest.approx(expected_plain.p, rel=1e-9, abs=1e-15)
    found = hamed_rao_test(y, plain, theil_sen(np.arange(1.0, n + 1), y))
    assert found.s == expected.s
    if np.isnan(expected.var_s):
        assert np.isnan(found.var_s) and np.isnan(found.p)
    else:
        assert found.var_s == pytest.approx(expected.var_s, rel=1e-9)
        assert found.p == pytest.approx(expected.p, rel=1e-6, abs=1e-15)


def test_a_noise_free_ramp_falls_back_to_the_plain_test() -> None:
    p, increasing, var_s = mann_kendall(np.arange(50, dtype=np.float64))
    assert p < 1e-10 and increasing and var_s > 0


@pytest.mark.parametrize("kind", ["walk", "ties", "ramp"])
def test_ranks_are_scipys(kind: str) -> None:
    y = _series(300, kind)
    assert np.array_equal(rankdata(y), scipy.stats.rankdata(y))
    assert np.array_equal(rankdata(y[::-1]), scipy.stats.rankdata(y[::-1]))
