import pytest

from shared.units import (
    UnitError,
    format_bytes,
    format_duration,
    format_figure,
    format_number,
    format_size,
    parse_duration_s,
    parse_size_bytes,
    parse_size_per_request_bytes,
    parse_size_rate_bytes_per_s,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250 ms", 0.25), ("5 min", 300.0), ("2h", 7200.0), ("90", 90.0), (12, 12.0), ("1.5 s", 1.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == pytest.approx(seconds)


def test_sizes_binary_and_decimal() -> None:
    assert parse_size_bytes("512 MiB") == 512 * 2**20
    assert parse_size_bytes("64 B") == 64
    assert parse_size_bytes("1 kB") == 1000


def test_rates() -> None:
    assert parse_size_rate_bytes_per_s("2 MiB/h") == pytest.approx(2 * 2**20 / 3600)
    assert parse_size_per_request_bytes("1 KiB/req") == 1024


@pytest.mark.parametrize("bad", ["fast", "5 parsecs", "1 KiB", "MiB/h"])
def test_bad_rates_are_refused(bad: str) -> None:
    with pytest.raises(UnitError):
        parse_size_rate_bytes_per_s(bad)


def test_bad_duration_names_the_value() -> None:
    with pytest.raises(UnitError, match="fortnight"):
        parse_duration_s("3 fortnight")


def test_format_bytes() -> None:
    assert format_bytes(3 * 2**20) == "3.00 MiB"
    assert format_bytes(100) == "100 B"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (44.2 * 1024, "B/req", "44.2 KiB/update"),
        (2**30, "B", "1.00 GiB"),
        (114.15 * 2**20, "B", "114 MiB"),
        (512, "B", "512 B"),
        (2 * 2**20 / 3600, "B/s", "2.00 MiB/h"),
        (0.041, "s", "41 ms"),
        (0.25, "s", "250 ms"),
        (1.5, "s", "1.50 s"),
        (900.0, "s", "15 min"),
        (0.0052, "ratio", "0.52 %"),
        (0.1, "churn/req", "10 %"),
        (2.0571, "calls/update", "2.06 calls/update"),
        (16.0, "fds", "16 fds"),
        (-3.0, "timers", "-3 timers"),
        (2 / 3600, "count/s", "2 count/h"),
    ],
)
def test_figures_read_as_a_person_reads_them(value: float, unit: str, text: str) -> None:
    assert format_figure(value, unit) == text


def test_sizes_and_numbers_keep_three_digits() -> None:
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.50 KiB"
    assert format_size(-3 * 2**20) == "-3.00 MiB"
    assert format_number(1210.0) == "1210"
    assert format_number(0.000123) == "0.000123"
    assert format_number(float("nan")) == "nan"
    assert format_duration(3 * 3600) == "3 h"
