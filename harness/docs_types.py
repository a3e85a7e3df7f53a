"""The profile's models as rows for the reference page: each key as a profile spells it, its type in
words (with its unit and bounds), its default as a profile would write it, and its description."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from harness import config
from shared import fields


@dataclass(frozen=True)
class Row:
    key: str
    kind: str
    default: str
    description: str


@dataclass(frozen=True)
class Section:
    table: str
    model: type[BaseModel]
    array: bool  # [[table]]: an array of tables
    rows: list[Row]
    same_as: str | None = None  # the table documented first with the same keys


def _validator_of(alias: Any) -> Any:
    return get_args(alias)[1]


# The unit types by the validator object inside them (the same object in every field that uses one).
UNITS: dict[int, tuple[str, str]] = {
    id(_validator_of(fields.Seconds)): ("duration", "s"),
    id(_validator_of(fields.Bytes)): ("size", "B"),
    id(_validator_of(fields.WholeBytes)): ("size", "B"),
    id(_validator_of(fields.BytesPerSecond)): ("size per time", "B/s"),
    id(_validator_of(fields.BytesPerRequest)): ("size per update", "B/req"),
    id(_validator_of(config.PerUpdate)): ("amount per update", "/update"),
    id(_validator_of(config.PerHourAsPerSecond)): ("amount per hour", "/h"),
    id(_validator_of(config.Amount)): ("amount (a size or a count)", ""),
}


def _metadata(annotation: Any, info: FieldInfo | None = None) -> list[Any]:
    """Every Annotated metadata object at any depth of the annotation, and the field's own."""
    found = list(info.metadata) if info is not None else []
    stack = [annotation]
    while stack:
        current = stack.pop()
        if get_origin(current) is Annotated:
            found.extend(current.__metadata__)
        stack.extend(get_args(current))
    return found


def _unit(annotation: Any, info: FieldInfo | None = None) -> tuple[str, str] | None:
    return next((UNITS[id(item)] for item in _metadata(annotation, info) if id(item) in UNITS), None)


def _bounds(info: FieldInfo, unit: tuple[str, str] | None) -> str:
    words = (
        (annotated_types.Ge, "ge", ">="),
        (annotated_types.Gt, "gt", ">"),
        (annotated_types.Le, "le", "<="),
        (annotated_types.Lt, "lt", "<"),
    )

    def shown(value: float) -> str:
        return _with_unit(float(value), unit[1]).strip('"') if unit else f"{value:g}"

    parts = [
        f"{sign} {shown(getattr(item, attr))}"
        for item in info.metadata
        for kind, attr, sign in words
        if isinstance(item, kind)
    ]
    return ", ".join(parts)


def _strip(annotation: Any) -> tuple[Any, bool]:
    """Annotated and Optional away; whether None was allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            kinds = [kind for kind in get_args(annotation) if kind is not type(None)]
            optional = optional or len(kinds) < len(get_args(annotation))
            if len(kinds) != 1:
                return annotation, optional
            annotation = kinds[0]
        else:
            return annotation, optional


_NAMES = {str: "text", int: "integer", float: "number", bool: "true or false"}


def _container_words(bare: Any) -> str | None:
    origin = get_origin(bare)
    if origin is Literal:
        return "one of " + ", ".join(f'`"{arg}"`' for arg in get_args(bare))
    if origin is dict:
        return f"table of {type_words(get_args(bare)[1])}"
    if origin in (list, tuple):
        item = get_args(bare)[0]
        is_model = isinstance(item, type) and issubclass(item, BaseModel)
        return "array of tables (below)" if is_model else f"list of {type_words(item)}"
    return None


def type_words(annotation: Any, info: FieldInfo | None = None) -> str:
    unit = _unit(annotation, info)
    if unit is not None:
        return unit[0]
    bare, _ = _strip(annotation)
    if bare in _NAMES:
        return _NAMES[bare]
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return "table (below)"
    return _container_words(bare) or str(bare)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, BaseModel):
        return "(table below)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _size(value: float) -> str:
    """Bytes in the largest binary unit that divides them exactly: 1 GiB, 21034 B."""
    for symbol, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value and value % size == 0:
            return f"{value / size:g} {symbol}"
    return f"{value:g} B"


def _duration(value: float) -> str:
    for symbol, size in (("h", 3600), ("min", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g} {symbol}"
    return f"{value * 1000:g} ms" if 0 < value < 1 else f"{value:g} s"


def _with_unit(value: float, symbol: str) -> str:
    """A default as a profile would write it."""
    texts = {
        "s": lambda: _duration(value),
        "B": lambda: _size(value),
        # Slopes read per hour; a pace of whole bytes per second (a dribble) reads per second.
        "B/s": lambda: _size(value) + "/s" if value >= 1 and value.is_integer() else _size(value * 3600) + "/h",
        "B/req": lambda: _size(value) + "/req",
    }
    return json.dumps(texts[symbol]()) if symbol in texts else _toml(value)


def default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined:
        return "not set"
    if value in ((), [], {}):
        return "none"
    unit = _unit(info.annotation, info)
    if unit is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return f"`{_with_unit(float(value), unit[1])}`"
    return f"`{_toml(value)}`"


def _row(name: str, info: FieldInfo) -> Row:
    kind = type_words(info.annotation, info)
    bounds = _bounds(info, _unit(info.annotation, info))
    return Row(info.alias or name, f"{kind} ({bounds})" if bounds else kind, default_text(info), info.description or "")


def _nested(info: FieldInfo) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds (a table, or an array of tables), if any."""
    bare, _ = _strip(info.annotation)
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return bare, False
    if get_origin(bare) in (list, tuple):
        item, _ = _strip(get_args(bare)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True
    return None


def section_rows(
    model: type[BaseModel], table: str = "", array: bool = False, seen: dict[type[BaseModel], str] | None = None
) -> Iterator[Section]:
    """The model's own keys as one section, then each nested table's, depth first; a model met
    again (the fault tables of each mock) is a section that points to the first."""
    seen = {} if seen is None else seen
    if table and model in seen:
        yield Section(table, model, array, [], same_as=seen[model])
        return
    if table:
        seen[model] = table
    rows, nested = [], []
    for name, info in model.model_fields.items():
        inner = _nested(info)
        if inner is None:
            rows.append(_row(name, info))
        else:
            nested.append((f"{table}.{info.alias or name}".lstrip("."), *inner))
    if table:
        yield Section(table, model, array, rows)
    for sub_table, sub_model, sub_array in nested:
        yield from section_rows(sub_model, sub_table, sub_array, seen)
