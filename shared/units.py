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


def format_bytes(value: float) -> str:
    """Bytes in the largest binary unit that keeps the figure >= 1."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if abs(value) >= size:
            return f"{value / size:.2f} {unit}"
    return f"{value:.0f} B"


# Figures for people: three significant digits, binary sizes, durations in the unit a reader expects.
_BINARY = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
_COUNT_UNITS = {"ticks", "fds", "sockets", "clients", "keys", "handles", "timers", "threads", "files", "lines"}


def format_number(value: float) -> str:
    """Three significant digits without an exponent for everyday magnitudes; whole numbers as such."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e7:
        return f"{value:.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_size(value: float) -> str:
    """Bytes in the largest binary unit that keeps the figure >= 1, three digits: '44.2 KiB', '1.00 GiB'."""
    for unit, size in _BINARY:
        if abs(value) >= size:
            scaled = value / size
            digits = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2
            return f"{scaled:.{digits}f} {unit}"
    return f"{value:.0f} B"


def format_duration(value_s: float) -> str:
    """'41 ms', '1.50 s', '12.0 min', '3.20 h': the unit a reader of a latency or a run length expects."""
    magnitude = abs(value_s)
    if magnitude == 0:
        return "0 s"
    if magnitude < 1:
        return f"{format_number(value_s * 1000)} ms"
    if magnitude < 120:
        return f"{format_number(value_s)} s"
    if magnitude < 7200:
        return f"{format_number(value_s / 60)} min"
    return f"{format_number(value_s / 3600)} h"


_FIGURE_FORMS = {
    "B": format_size,
    "B/s": lambda value: f"{format_size(value * 3600)}/h",
    "B/req": lambda value: f"{format_size(value)}/update",
    "s": format_duration,
    "ratio": lambda value: f"{format_number(value * 100)} %",
    "churn/req": lambda value: f"{format_number(value * 100)} %",
    "": format_number,
}


def format_figure(value: float, unit: str) -> str:
    """A check's figure or limit in its unit as a person reads it: '1.20 MiB/h', '44.2 KiB/update'."""
    form = _FIGURE_FORMS.get(unit)
    if form is not None:
        return form(value)
    base, _, per = unit.rpartition("/")
    if per == "s" and base:  # a slope of a count: per hour, as limits are written
        return f"{format_number(value * 3600)} {base}/h"
    if per == "req" and base:
        return f"{format_number(value)} {base}/update"
    return f"{format_number(value)} {unit}"
