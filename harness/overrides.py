"""Profile keys set on the command line (`--set load.users=50`), merged into the profile's tables
before it validates, so a value from the command line is checked exactly like one from the file.

A value is read as a TOML value (50, 0.5, true, "x", ["a", "b"]); what does not parse as one is
the text as typed ("90 s", fast). Where the schema wants text (an environment value, a name), the
text as typed is kept, so `--set target.env.RETRIES=3` gives "3", not the number 3.
"""

from __future__ import annotations

import tomllib
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

_KEY_PART_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class SettingError(ValueError):
    """A --set that is not KEY=VALUE, or whose key cannot be placed; the message is one line."""


@dataclass(frozen=True)
class Setting:
    path: tuple[str, ...]
    value: Any
    text: str = ""  # as typed after --set, for messages; empty for a setting soak made from an option

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def origin(self) -> str:
        return f" (from --set {self.text[:80]})" if self.text else ""


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            kinds = [kind for kind in get_args(annotation) if kind is not type(None)]
            if len(kinds) != 1:
                return annotation
            annotation = kinds[0]
        else:
            return annotation


def _field_type(model: type[BaseModel], path: tuple[str, ...]) -> Any:
    """The type the schema has at path (keys as a profile spells them), or None when unknown."""
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = annotation.model_fields.items()
            annotation = next((info.annotation for name, info in fields if (info.alias or name) == part), None)
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
        if annotation is None:
            return None
    return _unwrap(annotation)


def _wants_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    return get_origin(annotation) is Literal and all(isinstance(arg, str) for arg in get_args(annotation))


def parse_setting(text: str, model: type[BaseModel]) -> Setting:
    """'load.users=50' -> Setting(('load', 'users'), 50)."""
    key, equals, raw = text.partition("=")
    if not equals:
        raise SettingError(f"--set {text[:80]!r}: expected KEY=VALUE, e.g. load.users=50")
    path = tuple(part.strip() for part in key.split("."))
    if len(path) < 2 or any(not part or not set(part) <= _KEY_PART_CHARS for part in path):
        raise SettingError(f"--set {text[:80]!r}: the key must be a dotted profile key, e.g. target.env.MODE")
    try:
        value: Any = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw
    if _wants_text(_field_type(model, path)) and not isinstance(value, str):
        value = raw
    return Setting(path, value, text)


def apply_settings(data: Mapping[str, Any], settings: Iterable[Setting]) -> dict[str, Any]:
    """A copy of data (nested tables copied) with each setting placed; later settings win."""
    merged = _copy_tables(data)
    for setting in settings:
        table = merged
        for depth, part in enumerate(setting.path[:-1], start=1):
            child = table.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(setting.path[:depth])
                raise SettingError(f"{where}: must be a table to set {setting.key}{setting.origin}")
            table = child
        table[setting.path[-1]] = setting.value
    return merged


def _copy_tables(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _copy_tables(value) if isinstance(value, dict) else value for key, value in data.items()}
