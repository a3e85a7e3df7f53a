"""The figures a person reads: units chosen by magnitude, three significant digits, "n/a" for none."""

import math

import pytest

from shared import human
from shared.units import parse_duration_s, parse_size_bytes, parse_size_rate_bytes_per_s

NAN = float("nan")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (0.5, "0.500 B"),
        (512, "512 B"),
        (1023, "1,023 B"),
        (1024, "1.00 KiB"),
        (1536, "1.50 KiB"),
        (9.996 * 1024, "10.0 KiB"),  # rounds up into the next digit, still three of them
        (1023.4 * 1024, "1,023 KiB"),
        (1023.9 * 1024, "1.00 MiB"),  # would round to 1024 KiB: the next unit instead
        (2**20, "1.00 MiB"),
        (114.15 * 2**20, "114 MiB"),
        (2**30, "1.00 GiB"),
        (36305.26 * 2**20, "35.5 GiB"),
        (3 * 2**40, "3.00 TiB"),
        (-3 * 2**20, "-3.00 MiB"),
        (-512, "-512 B"),
        (1e-9, "0 B"),
        (NAN, "n/a"),
        (None, "n/a"),
        (math.inf, "∞ B"),
    ],
)
def test_sizes_in_binary_units_with_three_digits(value: float | None, text: str) -> None:
    assert human.size(value) == text


@pytest.mark.parametrize(
    ("value_s", "text"),
    [
        (0, "0 s"),
        (0.0004, "0.400 ms"),
        (0.0412, "41.2 ms"),
        (0.25, "250 ms"),
        (0.9997, "1.00 s"),  # 999.7 ms rounds to 1000 ms: seconds instead
        (1.5, "1.50 s"),
        (90, "90 s"),
        (90.26, "90.3 s"),
        (119.96, "2.00 min"),
        (150, "2.50 min"),
        (7199, "2.00 h"),
        (86400, "24 h"),
        (-0.25, "-250 ms"),
        (-150, "-2.50 min"),
        (NAN, "n/a"),
        (None, "n/a"),
    ],
)
def test_durations_in_the_unit_a_reader_expects(value_s: float | None, text: str) -> None:
    assert human.duration(value_s) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (1210.0, "1,210"),
        (36305.26, "36,305"),
        (2.0571, "2.06"),
        (41.25, "41.2"),
        (999.7, "1,000"),
        (0.000123, "0.000123"),
        (-0.5, "-0.5"),
        (1.2, "1.2"),
        (NAN, "n/a"),
        (None, "n/a"),
        (-math.inf, "-∞"),
    ],
)
def test_numbers_keep_three_digits_without_an_exponent(value: float | None, text: str) -> None:
    assert human.number(value) == text


def test_counts_are_whole() -> None:
    assert human.count(12.4, "fds") == "12 fds"
    assert human.count(12.5, "fds") == "13 fds"  # half away from zero, not to even
    assert human.count(-12.5) == "-13"
    assert human.count(86400) == "86,400"
    assert human.count(None, "fds") == "n/a"
    assert human.count(NAN) == "n/a"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (36305.26 * 2**20 / 3600, "B/s", "35.5 GiB/h"),  # issue 15's "36305.26 MiB/h"
        (2 * 2**20 / 3600, "B/s", "2.00 MiB/h"),
        (-1024 / 3600, "B/s", "-1.00 KiB/h"),
        (44.2 * 1024, "B/req", "44.2 KiB/update"),
        (491.3, "B/req", "491 B/update"),
        (2**30, "B", "1.00 GiB"),
        (0.041, "s", "41 ms"),
        (2.0, "s", "2 s"),
        (2.01, "s", "2.01 s"),
        (900.0, "s", "15 min"),
        (0.0052, "ratio", "0.52 %"),
        (0.1, "churn/req", "10 %"),
        (2.0571, "calls/update", "2.06 calls/update"),
        (16.0, "fds", "16 fds"),
        (-3.0, "timers", "-3 timers"),
        (65.6, "sockets", "66 sockets"),
        (2 / 3600, "fds/s", "2 fds/h"),
        (0.5 / 3600, "count/s", "0.5/h"),
        (0.01, "fds/req", "0.01 fds/update"),
        (1210.0, "calls", "1,210 calls"),
        (3.0, "", "3"),
        (None, "B/s", "n/a"),
        (NAN, "B", "n/a"),
        (NAN, "ratio", "n/a"),
        (None, "fds/s", "n/a"),
    ],
)
def test_figures_in_a_checks_unit(value: float | None, unit: str, text: str) -> None:
    assert human.figure(value, unit) == text


@pytest.mark.parametrize(
    ("p", "text"), [(0.00516, "p=0.0052"), (0.158, "p=0.16"), (1e-9, "p<0.0001"), (1.0, "p=1"), (None, "p=n/a")]
)
def test_p_values(p: float | None, text: str) -> None:
    assert human.p_value(p) == text


def test_spans_take_the_unit_of_their_end() -> None:
    assert human.span(19.8, 66.0) == "19.8-66.0 s"
    assert human.span(300, 14400) == "0.08-4.00 h"
    assert human.span(300, 7000) == "5-117 min"
    assert human.span(1800, 86400) == "0.5-24.0 h"
    assert human.span(60, 90) == "60-90 s"
    assert human.span(100, 120) == "100-120 s"
    assert human.span(60, 600) == "1-10 min"


@pytest.mark.parametrize("text", ["512 MiB", "1.50 KiB", "35.5 GiB", "0 B", "1,023 B"])
def test_sizes_read_back_as_profiles_write_them(text: str) -> None:
    """A figure copied from a report into a profile means what the report said (to its digits)."""
    value = parse_size_bytes(text.replace(",", ""))
    assert human.size(value) == text


def test_rates_and_durations_read_back() -> None:
    assert human.size_per_hour(parse_size_rate_bytes_per_s("2 MiB/h")) == "2.00 MiB/h"
    assert human.duration(parse_duration_s("250 ms")) == "250 ms"
    assert human.duration(parse_duration_s("5 min")) == "5 min"


def test_a_count_of_one_names_its_noun_in_the_singular() -> None:
    assert human.amount(1, "clients") == "1 client" and human.amount(2, "clients") == "2 clients"
    assert human.amount(1, "processes") == "1 process" and human.amount(0, "sockets") == "0 sockets"
    assert human.amount(-1, "keys") == "-1 key" and human.amount(1, "count") == "1"
