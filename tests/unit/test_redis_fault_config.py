"""[[redis.faults]] in a profile: windows with units, one kind's settings only, no overlaps, no fakeredis."""

from __future__ import annotations

import pytest

from harness.config import ConfigError, parse_profile

TARGET = {"command": ["node"]}


def redis_section(*faults: dict[str, object], backend: str = "auto") -> dict[str, object]:
    return {"target": TARGET, "redis": {"backend": backend, "faults": list(faults)}}


def test_windows_take_units_and_each_kind_its_own_settings() -> None:
    spec = parse_profile(
        redis_section(
            {"kind": "down", "start": "1 min", "end": "80 s"},
            {"kind": "pause", "start": "2 min", "end": "2.5 min", "commands": "write"},
            {"kind": "slow", "start": "3 min", "end": "4 min", "stall": "100 ms"},
            {"kind": "kill_clients", "start": "5 min", "end": "6 min", "every": "10 s"},
        )
    )
    down, pause, slow, kill = spec.redis.faults
    assert (down.start_s, down.end_s) == (60, 80) and pause.commands == "write"
    assert slow.stall_s == pytest.approx(0.1) and kill.every_s == 10


@pytest.mark.parametrize(
    ("faults", "backend", "expected"),
    [
        ([{"kind": "down", "start": "10 s", "end": "5 s"}], "auto", "end must be after start"),
        ([{"kind": "down", "start": "10 s"}], "auto", "end"),
        ([{"kind": "down", "start": 1, "end": 2, "stall": "1 s"}], "auto", "stall applies to kind 'slow' only"),
        ([{"kind": "pause", "start": 1, "end": 2, "every": "2 s"}], "auto", "every applies to kind 'kill_clients'"),
        ([{"kind": "crash", "start": 1, "end": 2}], "auto", "kind"),
        (
            [{"kind": "down", "start": "1 min", "end": "2 min"}, {"kind": "pause", "start": "90 s", "end": "3 min"}],
            "auto",
            "redis fault windows overlap: down until 120 s, pause from 90 s",
        ),
        ([{"kind": "down", "start": 1, "end": 2}], "fakeredis", "redis faults need backend 'redis-server'"),
        ([{"kind": "slow", "start": 1, "end": 2, "stall": "11 s"}], "auto", "stall"),
    ],
)
def test_bad_redis_faults_are_one_line_config_errors(
    faults: list[dict[str, object]], backend: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as caught:
        parse_profile(redis_section(*faults, backend=backend))
    assert str(caught.value).startswith("redis") and "\n" not in str(caught.value)
