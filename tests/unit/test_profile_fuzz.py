"""Mutated copies of the shipped profiles (values of every type, dropped, renamed, duplicated and
added keys, moved sections) through everything `soak run` does before it starts a process: each
one validates or is a one-line ConfigError, never another exception."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.config import ConfigError, RunSpec, load_profile
from harness.prestart import check_before_start

ROOT = Path(__file__).resolve().parents[2]
PROFILES = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "profiles").glob("*.toml"))}
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_\"-]+)\s*=")
_HEADER = re.compile(r"^\s*\[\[?[^\]]+\]\]?\s*$")


def _model_keys() -> list[str]:
    """Every key the schema knows (by alias), so mutations also add keys no shipped profile sets."""
    keys: set[str] = set()
    pending: list[type] = [RunSpec]
    while pending:
        model = pending.pop()
        for name, info in model.model_fields.items():  # type: ignore[attr-defined]
            keys.add(info.alias or name)
            for kind in (info.annotation, *getattr(info.annotation, "__args__", ())):
                if isinstance(kind, type) and hasattr(kind, "model_fields"):
                    pending.append(kind)
    return sorted(keys)


KEYS = [*_model_keys(), "unknown_key", "durashun"]
SECTIONS = ["run", "target", "target.env", "redis", "load", "load.mix", "thresholds", "collector", "interception",
            "interception.hosts", "mocks", "mocks.telegram", "mocks.cursor_runner",
            "mocks.cursor_runner.callback_faults", "[mocks.telegram.faults]", "nonsense", "run.deeper"]  # fmt: skip
UNIT_TEXTS = ["60 s", "-5 s", "1e999 s", "0 ms", "10 ms", "2 MiB/h", "2 MiB", "1 KiB/req", "64 B", "5 parsecs",
              "health", "/health", "../x", "/abs/path", "a\u0000b", "", " ", "node", "nope", "steady", "spike",
              "redis-server", "fakeredis", "base-url", "proxy", "api.telegram.org:99999", "telegram"]  # fmt: skip


def _toml_string(text: str) -> str:
    return json.dumps(text)  # JSON's escapes are TOML's, but for lone surrogates (a TOML error, fine)


def _toml_float(number: float) -> str:
    text = repr(number)
    return text if any(ch in text for ch in ".enai") else text + ".0"


SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats().map(_toml_float),
    st.booleans().map(lambda flag: "true" if flag else "false"),
    st.text(max_size=12).map(_toml_string),
    st.sampled_from(UNIT_TEXTS).map(_toml_string),
    st.sampled_from(["1979-05-27T07:32:00Z", "07:32:00", "1979-05-27", "inf", "-inf", "nan", "1e999", "0", "-1"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3).map(
            lambda table: "{" + ", ".join(f"{key} = {value}" for key, value in table.items()) + "}"
        ),
    ),
    max_leaves=6,
)


@st.composite
def mutated_profile(draw: st.DrawFn) -> str:
    lines = PROFILES[draw(st.sampled_from(sorted(PROFILES)))].splitlines()
    for _ in range(draw(st.integers(1, 3))):
        assignments = [i for i, line in enumerate(lines) if _ASSIGNMENT.match(line)]
        headers = [i for i, line in enumerate(lines) if _HEADER.match(line)] or [0]
        op = draw(st.sampled_from(["value", "value", "value", "drop", "rename", "add", "duplicate", "section"]))
        if op in {"value", "drop", "rename", "duplicate"} and assignments:
            index = draw(st.sampled_from(assignments))
            key = _ASSIGNMENT.match(lines[index]).group(1)  # type: ignore[union-attr]
            if op == "value":
                lines[index] = f"{key} = {draw(VALUES)}"
            elif op == "drop":
                del lines[index]
            elif op == "rename":
                lines[index] = lines[index].replace(key, draw(st.sampled_from(KEYS)), 1)
            else:
                lines.insert(index, lines[index])
        elif op == "add":
            lines.insert(draw(st.sampled_from(headers)) + 1, f"{draw(st.sampled_from(KEYS))} = {draw(VALUES)}")
        else:
            section = draw(st.sampled_from(SECTIONS))
            lines[draw(st.sampled_from(headers))] = section if section.startswith("[") else f"[{section}]"
    return "\n".join(lines) + "\n"


OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def profile_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Beside a link to examples/, as in the checkout: a shipped profile's relative cwd counts from its folder."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "examples").symlink_to(ROOT / "examples")
    (root / "profiles").mkdir()
    return root / "profiles" / "mutated.toml"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_profile())
def _mutate_once(profile_path: Path, text: str) -> None:
    profile_path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        check_before_start(load_profile(profile_path))
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        OUTCOMES["error"] += 1
    else:
        OUTCOMES["valid"] += 1


def test_mutated_profiles_are_valid_or_one_line_config_errors(profile_path: Path) -> None:
    OUTCOMES.clear()
    _mutate_once(profile_path)
    # A generator that only ever broke the TOML, or never broke anything, would test nothing. One
    # test, not two: pytest-xdist may run a second test on another worker or before this one.
    assert OUTCOMES["error"] >= 100 and OUTCOMES["valid"] >= 20, OUTCOMES
