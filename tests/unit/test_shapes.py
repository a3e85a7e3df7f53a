"""Load shapes: users over time, and every shape ends by itself."""

import pytest

from harness.config import ConfigError, parse_profile
from harness.load import locustfile_for, shape_spec
from harness.procs import HarnessError
from scenarios.shape_math import ShapeSpec, spawn_rate_for, target_users


def test_steady_holds_then_stops() -> None:
    spec = ShapeSpec("steady", users=7, duration_s=60, spawn_rate=5)
    assert [target_users(spec, t) for t in (0, 30, 59.9)] == [7, 7, 7]
    assert target_users(spec, 60) is None


def test_ramp_rises_linearly_to_peak_and_holds() -> None:
    spec = ShapeSpec("ramp", users=10, duration_s=300, spawn_rate=5, peak_users=110, ramp_s=100)
    assert target_users(spec, 0) == 10
    assert target_users(spec, 50) == 60
    assert target_users(spec, 150) == 110
    assert target_users(spec, 300) is None


def test_spike_is_high_only_inside_its_window_and_arrives_at_once() -> None:
    spec = ShapeSpec("spike", users=5, duration_s=120, spawn_rate=2, peak_users=50, spike_at_s=40, spike_s=10)
    assert [target_users(spec, t) for t in (39, 40, 49.9, 50)] == [5, 50, 50, 5]
    assert spawn_rate_for(spec) >= 50


def test_profile_shape_reaches_the_locust_process_intact() -> None:
    spec = parse_profile(
        {"target": {"command": ["x"]}, "load": {"shape": "ramp", "users": 2, "peak_users": 20, "ramp": "1 min"}}
    )
    shipped = ShapeSpec.from_json(shape_spec(spec.load, 300).to_json())
    assert shipped.kind == "ramp" and shipped.peak_users == 20 and shipped.ramp_s == 60 and shipped.duration_s == 300


def test_a_spike_without_a_peak_is_refused() -> None:
    with pytest.raises(ConfigError, match="peak_users"):
        parse_profile({"target": {"command": ["x"]}, "load": {"shape": "spike"}})


def test_helper_modules_are_not_scenarios() -> None:
    assert locustfile_for("mixed").name == "mixed.py"
    with pytest.raises(HarnessError, match="known: mixed, text"):
        locustfile_for("payloads")
