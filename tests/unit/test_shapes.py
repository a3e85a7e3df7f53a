"""Load models: users or rates over time, and every model ends by itself."""

import pytest

from harness.config import ConfigError, parse_profile
from harness.load import locustfile_for, shape_spec
from harness.procs import HarnessError
from scenarios.shape_math import (
    ShapeSpec,
    knee_rate,
    knee_steps,
    load_over,
    spawn_rate_for,
    target_rate,
    target_users,
)


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


def test_diurnal_is_a_sine_from_trough_to_peak_and_back_each_period() -> None:
    spec = ShapeSpec("diurnal", users=10, duration_s=400, spawn_rate=5, peak_users=110, period_s=200)
    assert [target_users(spec, t) for t in (0, 50, 100, 150, 200, 300)] == [10, 60, 110, 60, 10, 110]
    whole_run = ShapeSpec("diurnal", users=10, duration_s=400, spawn_rate=5, peak_users=110)
    assert target_users(whole_run, 200) == 110  # no period: one over the run, midday at half-time


def test_closed_models_have_no_rate_and_open_models_keep_their_pool() -> None:
    closed = ShapeSpec("ramp", users=10, duration_s=300, spawn_rate=5, peak_users=110, ramp_s=100)
    assert target_rate(closed, 50) == 0.0
    open_model = ShapeSpec("arrival_rate", users=40, duration_s=60, spawn_rate=5, rate=25)
    assert [target_users(open_model, t) for t in (0, 59)] == [40, 40]
    assert [target_rate(open_model, t) for t in (0, 30, 59.9, 60)] == [25, 25, 25, 0]
    assert spawn_rate_for(open_model) >= 40  # the pool is there before the schedule needs it


def test_arrival_rate_follows_its_curve() -> None:
    ramp = ShapeSpec("arrival_rate", 20, 100, 5, rate=10, peak_rate=110, rate_curve="ramp", ramp_s=50)
    assert [target_rate(ramp, t) for t in (0, 25, 50, 99)] == [10, 60, 110, 110]
    spike = ShapeSpec("arrival_rate", 20, 100, 5, rate=10, peak_rate=300, rate_curve="spike", spike_at_s=20, spike_s=5)
    assert [target_rate(spike, t) for t in (19, 20, 24.9, 25)] == [10, 300, 300, 10]
    diurnal = ShapeSpec("arrival_rate", 20, 100, 5, rate=0, peak_rate=100, rate_curve="diurnal")
    assert target_rate(diurnal, 0) == 0 and target_rate(diurnal, 50) == pytest.approx(100)


def test_knee_steps_up_by_step_rate_and_ends_after_its_last_step() -> None:
    spec = ShapeSpec("knee", users=50, duration_s=600, spawn_rate=5, rate=100, peak_rate=400, step_rate=100, step_s=30)
    assert knee_steps(spec) == 4  # 100, 200, 300, 400
    assert [target_rate(spec, t) for t in (0, 29.9, 30, 95, 119.9)] == [100, 100, 200, 400, 400]
    assert load_over(spec, 120) and target_rate(spec, 120) == 0 and target_users(spec, 120) is None
    short = ShapeSpec("knee", users=50, duration_s=70, spawn_rate=5, rate=100, peak_rate=400, step_rate=100, step_s=30)
    assert knee_steps(short) == 2 and knee_rate(short, 1) == 200  # the duration allows two whole steps


def test_profile_shape_reaches_the_locust_process_intact() -> None:
    spec = parse_profile(
        {"target": {"command": ["x"]}, "load": {"shape": "ramp", "users": 2, "peak_users": 20, "ramp": "1 min"}}
    )
    shipped = ShapeSpec.from_json(shape_spec(spec.load, 300).to_json())
    assert shipped.kind == "ramp" and shipped.peak_users == 20 and shipped.ramp_s == 60 and shipped.duration_s == 300


@pytest.mark.parametrize(
    ("load", "message"),
    [
        ({"shape": "spike"}, "peak_users"),
        ({"shape": "diurnal"}, "peak_users"),
        ({"shape": "arrival_rate"}, "needs rate"),
        ({"shape": "arrival_rate", "rate": 10, "rate_curve": "ramp"}, "peak_rate"),
        ({"shape": "arrival_rate", "rate": 10, "peak_rate": 20, "rate_curve": "spike"}, "spike_duration"),
        ({"shape": "knee", "rate": 10, "peak_rate": 100}, "step_rate"),
        ({"shape": "knee", "rate": 100, "peak_rate": 10, "step_rate": 10}, "peak_rate at or above rate"),
        ({"shape": "knee", "rate": 10, "peak_rate": 100, "step_rate": 10, "step": "2 s"}, "step"),
        ({"remote_workers": 2}, "master_bind"),
        ({"master_bind": "0.0.0.0"}, "host:port"),
        ({"new_chat_share": 1.5}, "new_chat_share"),
        ({"bad_input_share": 0.1, "bad_input_mix": {"oversize": 0}}, "bad_input_mix"),
        ({"bad_input_mix": {"sql_injection": 1}}, "bad_input_mix"),
    ],
)
def test_a_load_model_missing_what_it_needs_is_refused(load: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_profile({"target": {"command": ["x"]}, "load": load})


def test_scenarios_are_soaks_own_names_or_a_path_to_a_locustfile() -> None:
    assert locustfile_for("mixed").name == "mixed.py"
    with pytest.raises(HarnessError, match="soak's own are mixed, text, or give a path"):
        locustfile_for("payloads")
    with pytest.raises(HarnessError, match="does not exist"):
        locustfile_for("no/such/locustfile.py")
    assert locustfile_for("examples/custom-scenario/conversation.py").is_absolute()
