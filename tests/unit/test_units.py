import pytest

from shared.units import (
    UnitError,
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
