"""Figures as a person reads them, the one formatter of everything soak shows: verdict details,
summary.md, report.html, compare and the live view (stdlib only).

Sizes in binary units with three significant digits ("44.2 KiB", "35.5 GiB/h"), counts as whole
numbers ("1,210 fds"), durations in the unit a reader expects ("41.2 ms", "2.50 min"), and "n/a"
for a figure that is missing or not a number. The unit is chosen after rounding, so 1023.9 KiB
reads "1.00 MiB", not "1024 KiB", and 999.7 ms reads "1.00 s".
"""

from __future__ import annotations

import math

NOT_AVAILABLE = "n/a"
_KIB = 1024.0
# (unit, bytes or seconds in it, where the next unit takes over, in this unit)
_SIZES = (("B", 1.0, 1024.0), ("KiB", _KIB, 1024.0), ("MiB", _KIB**2, 1024.0), ("GiB", _KIB**3, 1024.0),
          ("TiB", _KIB**4, math.inf))  # fmt: skip
_DURATIONS = (("ms", 0.001, 1000.0), ("s", 1.0, 120.0), ("min", 60.0, 120.0), ("h", 3600.0, math.inf))
Figure = float | int | None


def _missing(value: Figure) -> bool:
    return value is None or math.isnan(value)


def _infinite(value: float) -> str:
    return "∞" if value > 0 else "-∞"


def _sig3(value: float) -> str:
    """Three significant digits, no exponent; a thousand and more as a whole number with separators."""
    if value == 0:
        return "0"
    rounded = float(f"{value:.3g}")
    magnitude = abs(rounded)
    if magnitude >= 1000:
        return f"{round(value):,}"
    decimals = max(0, 2 - math.floor(math.log10(magnitude)))
    return f"{rounded:.{decimals}f}"


def number(value: Figure) -> str:
    """'0.000123', '2.06', '1.2', '41.2', '1,210': a ratio, a mean, a rate without a size."""
    if _missing(value):
        return NOT_AVAILABLE
    assert value is not None
    if math.isinf(value):
        return _infinite(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    text = _sig3(float(value))
    # a ratio or a limit as it would be written: '1.2', '0.5' (sizes and durations keep their zeros)
    return text.rstrip("0").rstrip(".") if "." in text else text


def count(value: Figure, unit: str = "") -> str:
    """A count as a whole number: '16 fds', '1,210'. A median of counts rounds to the nearest."""
    if _missing(value):
        return NOT_AVAILABLE
    assert value is not None
    # half away from zero: 12.5 fds read 13, not Python's banker's 12
    text = _infinite(value) if math.isinf(value) else f"{int(math.copysign(math.floor(abs(value) + 0.5), value)):,}"
    return f"{text} {unit}" if unit else text


def _scaled(value: float, steps: tuple[tuple[str, float, float], ...], *, whole: bool = False) -> str:
    """value (in seconds or bytes) in the first step where, rounded to three digits, it stays under
    the point the next step takes over; whole: a whole number in that unit without decimals."""
    for name, factor, next_at in steps:
        scaled = value / factor
        text = f"{round(scaled):,}" if whole and scaled.is_integer() else _sig3(scaled)
        if abs(float(text.replace(",", ""))) < next_at:
            return f"{text} {name}"
    raise AssertionError("the last step takes every magnitude")


def size(value_bytes: Figure) -> str:
    """'0 B', '512 B', '1.50 KiB', '-3.00 MiB', '35.5 GiB'."""
    if _missing(value_bytes):
        return NOT_AVAILABLE
    assert value_bytes is not None
    if math.isinf(value_bytes):
        return f"{_infinite(value_bytes)} B"
    if abs(value_bytes) < 0.01:  # a slope's float noise, not a hundredth of a byte
        return "0 B"
    return _scaled(float(value_bytes), _SIZES)


def duration(value_s: Figure) -> str:
    """'0 s', '41.2 ms', '1.50 s', '90.3 s', '2.50 min', '3 h'."""
    if _missing(value_s):
        return NOT_AVAILABLE
    assert value_s is not None
    if value_s == 0:
        return "0 s"
    if math.isinf(value_s):
        return f"{_infinite(value_s)} s"
    # a setting reads as it was written ("60 s", "5 min"), a measurement to three digits ("1.50 s")
    return _scaled(float(value_s), _DURATIONS, whole=True)


def span(start_s: float, end_s: float) -> str:
    """'60-90 s', '19.8-66.0 s', '5.0-240 min', '0.08-4.00 h': both ends in the unit and to the
    decimals the end needs for three digits, so the two read alike."""
    end = abs(end_s)
    # seconds up to 10 min: a fault window set at "100-120 s" reads as set, not "1.67-2.00 min"
    unit, seconds = ("s", 1.0) if end < 600 else ("min", 60.0) if end < 7200 else ("h", 3600.0)
    scaled = end / seconds
    decimals = 2 if scaled < 10 else 1 if scaled < 100 else 0
    if (start_s / seconds).is_integer() and scaled.is_integer():
        decimals = 0  # a window's or a fault's bounds as set: '60-90 s'
    return f"{start_s / seconds:.{decimals}f}-{end_s / seconds:.{decimals}f} {unit}"


def p_value(p: Figure) -> str:
    """A test's p-value as a reader compares it with 0.05: 'p=0.0052', 'p<0.0001'."""
    if _missing(p):
        return f"p={NOT_AVAILABLE}"
    assert p is not None
    return "p<0.0001" if p < 0.0001 else f"p={_sig2(float(p))}"


def _sig2(value: float) -> str:
    return f"{float(f'{value:.2g}'):f}".rstrip("0").rstrip(".")


def percent(ratio: Figure) -> str:
    """A ratio as a percentage: '0.52 %', '10 %', '0 %'."""
    if _missing(ratio):
        return NOT_AVAILABLE
    assert ratio is not None
    return f"{number(ratio * 100)} %"


def _hourly(per_s: Figure) -> Figure:
    return None if per_s is None else per_s * 3600


def size_per_hour(bytes_per_s: Figure) -> str:
    """A growth of memory, as limits are written: '2.00 MiB/h', '35.5 GiB/h'."""
    return _per(size(_hourly(bytes_per_s)), "h")


def rate(value: Figure, unit: str, per: str) -> str:
    """An amount per something: bytes by size ('44.2 KiB/update'), anything else by number, never
    rounded to a whole count ('0.0100 fds/update')."""
    return _per(size(value) if unit == "B" else _with_unit(number(value), unit), per)


def per_hour(per_s: Figure, unit: str) -> str:
    """A slope in a unit per second, per hour as limits are written: '35.5 GiB/h', '12.0 fds/h'."""
    return rate(_hourly(per_s), unit, "h")


def per_update(value: Figure, unit: str) -> str:
    """An amount per handled update: '44.2 KiB/update', '2.06 calls/update' (unit 'calls')."""
    return rate(value, unit, "update")


def _with_unit(text: str, unit: str) -> str:
    """'16 fds'; a plain count ('count', no unit) goes without one."""
    return f"{text} {unit}" if unit not in {"", "count"} and text != NOT_AVAILABLE else text


def _per(text: str, per: str) -> str:
    return text if text == NOT_AVAILABLE else f"{text}/{per}"


def amount(value: Figure, unit: str) -> str:
    """A level in its unit: bytes by size, seconds by duration, counts ('fds', 'sockets') whole."""
    if unit == "B":
        return size(value)
    if unit == "s":
        return duration(value)
    if unit in COUNT_UNITS:
        text = count(value)
        # "1 client", "1 fd": the noun in the singular when the count reads one.
        return _with_unit(text, _singular(unit) if text in ("1", "-1") else unit)
    return _with_unit(number(value), unit)


def _singular(noun: str) -> str:
    if noun.endswith("sses"):  # processes
        return noun[:-2]
    return noun[:-1] if noun.endswith("s") else noun


COUNT_UNITS = frozenset(
    {"ticks", "fds", "sockets", "clients", "keys", "handles", "timers", "threads", "files", "lines", "updates",
     "calls", "requests", "connections", "answers", "curves", "listeners", "processes", "jobs", "count"}
)  # fmt: skip


def figure(value: Figure, unit: str) -> str:
    """A check's figure or limit in the check's unit (as verdict.json stores it), for a person:
    'B/s' per hour as limits are written, 'B/req' per update, ratios in percent."""
    if unit == "B/s":
        return size_per_hour(value)
    if unit == "B/req":
        return per_update(value, "B")
    if unit in {"ratio", "churn/req"}:
        return percent(value)
    base, slash, per = unit.rpartition("/")
    if slash and per == "s" and base:  # a slope of a count, per hour as limits are written
        return per_hour(value, base)
    if slash and per in {"req", "update"} and base:
        return per_update(value, base)
    return amount(value, unit)
