"""The base of every settings model read from a file (profiles, the mocks' config): strict and frozen."""

from __future__ import annotations

from functools import cache
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator


def _holds_numbers(annotation: Any) -> bool:
    kinds = get_args(annotation) or (annotation,)
    return int in kinds or float in kinds


@cache
def _number_keys(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    """Input keys of the fields that hold a number (optional or not), and of tables of numbers."""
    numbers, tables = set(), set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        if get_origin(info.annotation) is dict:
            if _holds_numbers(get_args(info.annotation)[1]):
                tables.add(key)
        elif _holds_numbers(info.annotation):
            numbers.add(key)
    return frozenset(numbers), frozenset(tables)


class StrictModel(BaseModel):
    """Settings read from a file: frozen, no unknown keys, no inf or NaN, and no booleans where a
    number goes (to Python, `true` is the int 1, so `rate = true` would read as 100 %)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        numbers, tables = _number_keys(cls)
        for key in sorted(numbers):
            if isinstance(data.get(key), bool):
                raise ValueError(f"{key} must be a number, not {str(data[key]).lower()}")
        for key in sorted(tables):
            table = data.get(key)
            for name, value in table.items() if isinstance(table, dict) else ():
                if isinstance(value, bool):
                    raise ValueError(f"{key}.{name} must be a number, not {str(value).lower()}")
        return data
