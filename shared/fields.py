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


def _unit(parser: Callable[[Any], float]) -> BeforeValidator:
    def convert(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected a number or a string with a unit, not a boolean")
        if not isinstance(value, str | int | float):
            return value  # pydantic reports the wrong type in its own words
        try:
            return parser(value)
        except UnitError as exc:
            raise ValueError(str(exc)) from exc

    return BeforeValidator(convert)


Seconds = Annotated[float, _unit(parse_duration_s)]
Bytes = Annotated[float, _unit(parse_size_bytes)]
BytesPerSecond = Annotated[float, _unit(parse_size_rate_bytes_per_s)]
BytesPerRequest = Annotated[float, _unit(parse_size_per_request_bytes)]
# A size that must be a whole number of bytes ("21 KiB" is 21504; "1.5 B" is refused).
WholeBytes = Annotated[int, _unit(parse_size_bytes)]
