"""Pydantic field types that take a profile's units ("250 ms", "21 KiB", "2 MiB/h") and hold SI figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator

from shared.units import (
    UnitError,
    parse_duration_s,
    parse_size_bytes,
    parse_size_per_request_bytes,
    parse_size_rate_bytes_per_s,
)

# Beyond these a value is a typo, and it would overflow a sleep or an allocation at run time.
MAX_SECONDS = 100 * 86400.0
MAX_BYTES = float(2**50)


def with_unit(parser: Callable[[Any], float], most: float) -> BeforeValidator:
    """A validator that reads a value with parser (a unit parser of shared.units), at most `most`."""

    def convert(value: Any) -> Any:
        try:
            number = parser(value)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        if abs(number) > most:
            raise ValueError(f"{value!r} is out of range (at most {most:g} in base units)")
        return number

    return BeforeValidator(convert)


Seconds = Annotated[float, with_unit(parse_duration_s, MAX_SECONDS)]
Bytes = Annotated[float, with_unit(parse_size_bytes, MAX_BYTES)]
BytesPerSecond = Annotated[float, with_unit(parse_size_rate_bytes_per_s, MAX_BYTES)]
BytesPerRequest = Annotated[float, with_unit(parse_size_per_request_bytes, MAX_BYTES)]
# A size that must be a whole number of bytes ("21 KiB" is 21504; "1.5 B" is refused).
WholeBytes = Annotated[int, with_unit(parse_size_bytes, MAX_BYTES)]
