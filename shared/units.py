"""Parsing of the human units used in profiles: durations, byte sizes, and rates of either (stdlib only)."""

from __future__ import annotations

import math
import re

_NUMBER = r"(?P<num>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_DURATION_S = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "d": 86400.0,
}
_SIZE_BYTES = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


class UnitError(ValueError):
    """A value in a profile that does not parse as the unit it should have."""


def _finite(number: float, value: object) -> float:
    if not math.isfinite(number):
        raise UnitError(f"not a finite number: {value!r}")
    return number


def _number_or_text(value: object) -> float | str:
    """A bare number as a float, a string as it is (to be parsed); UnitError for anything else.

    Booleans are ints to Python: `duration = true` must not read as one second.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnitError(f"expected a number or a string with a unit, not {type(value).__name__} {value!r}")
    if isinstance(value, str):
        return value
    try:
        return _finite(float(value), value)
    except OverflowError:
        raise UnitError(f"not a finite number: {value!r}") from None


def _split(text: str) -> tuple[float, str]:
    match = re.fullmatch(_NUMBER + r"\s*(?P<unit>[A-Za-z]*)", text.strip())
    if match is None:
        raise UnitError(f"not a number with a unit: {text!r}")
    return _finite(float(match["num"]), text), match["unit"].lower()


def parse_duration_s(value: str | int | float) -> float:
    """'250 ms', '5 min', '2h' or a bare number of seconds -> seconds."""
    if isinstance(text := _number_or_text(value), float):
        return text
    number, unit = _split(text)
    if unit == "":
        return number
    if unit not in _DURATION_S:
        raise UnitError(f"unknown duration unit {unit!r} in {value!r}")
    return _finite(number * _DURATION_S[unit], value)


def parse_size_bytes(value: str | int | float) -> float:
    """'512 MiB', '64 B' or a bare number of bytes -> bytes."""
    if isinstance(text := _number_or_text(value), float):
        return text
    number, unit = _split(text)
    if unit == "":
        return number
    if unit not in _SIZE_BYTES:
        raise UnitError(f"unknown size unit {unit!r} in {value!r}")
    return _finite(number * _SIZE_BYTES[unit], value)


def parse_size_rate_bytes_per_s(value: str | int | float) -> float:
    """'2 MiB/h' -> bytes per second; a bare number is bytes per second."""
    if isinstance(text := _number_or_text(value), float):
        return text
    size_text, _, per_text = text.partition("/")
    if not per_text:
        raise UnitError(f"a rate needs a '/': {value!r}")
    per_s = parse_duration_s("1 " + per_text.strip())
    return parse_size_bytes(size_text) / per_s


def parse_size_per_request_bytes(value: str | int | float) -> float:
    """'1 KiB/req' -> bytes per request."""
    if isinstance(text := _number_or_text(value), float):
        return text
    size_text, _, per_text = text.partition("/")
    if per_text.strip().lower() not in {"req", "request", "update"}:
        raise UnitError(f"expected '<size>/req': {value!r}")
    return parse_size_bytes(size_text)


def parse_amount_per_update(value: str | int | float) -> float:
    """A size or count per update: '1 KiB', '1 KiB/update', '0.01', 0.01 -> bytes (or count)."""
    if isinstance(value, int | float):
        return float(value)
    size_text, slash, per_text = value.partition("/")
    if slash and per_text.strip().lower() not in {"req", "request", "update"}:
        raise UnitError(f"expected '<amount>' or '<amount>/update': {value!r}")
    return parse_size_bytes(size_text)


def parse_rate_per_hour_s(value: str | int | float) -> float:
    """A size or count per hour, as per second: '2 MiB/h', '30/h', '1/min'; without a '/' (or a bare
    number) the amount is per hour."""
    if isinstance(value, int | float):
        return float(value) / 3600
    if "/" not in value:
        return parse_size_bytes(value) / 3600
    return parse_size_rate_bytes_per_s(value)
