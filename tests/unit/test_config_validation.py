"""What a profile may not say: each bad value is a one-line ConfigError naming its field, and the
checks against this machine (scenario, cwd, command, results dir) run before anything starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.config import ConfigError, load_profile, parse_profile
from harness.prestart import check_before_start

ROOT = Path(__file__).resolve().parents[2]
MINIMAL: dict[str, Any] = {"target": {"command": ["node", "x.js"]}}


def _with(section: str, values: dict[str, Any]) -> dict[str, Any]:
    profile = {key: dict(value) for key, value in MINIMAL.items()}
    profile.setdefault(section, {}).update(values)
    return profile


@pytest.mark.parametrize(
    ("section", "values", "field"),
    [
        ("run", {"duration": float("inf")}, "run.duration"),
        ("run", {"duration": "1e999 s"}, "run.duration"),
        ("run", {"duration": ["60 s"]}, "run.duration"),
        ("run", {"duration": {"value": 60}}, "run.duration"),
        ("run", {"duration": True}, "duration"),
        ("run", {"duration": 10**400}, "run.duration"),
        ("run", {"duration": "200 d"}, "run.duration"),
        ("run", {"interval": 1e-9}, "run.interval"),
        ("run", {"interval": "10 ms"}, "run.interval"),
        ("run", {"name": "../x"}, "run.name"),
        ("run", {"name": "/tmp/x"}, "run.name"),
        ("run", {"name": "a/b"}, "run.name"),
        ("run", {"name": "a\x00b"}, "run.name"),
        ("run", {"results_dir": ""}, "run.results_dir"),
        ("target", {"command": []}, "target.command"),
        ("target", {"command": [""]}, "target.command.0"),
        ("target", {"health_path": "health"}, "target.health_path"),
        ("target", {"health_path": "/he alth"}, "target.health_path"),
        ("target", {"cwd": "a\x00b"}, "target.cwd"),
        ("target", {"env": {"A=B": "x"}}, "target.env"),
        ("target", {"env": {"OK": "x\x00y"}}, "target.env.OK"),
        ("target", {"telegram_token": "12/../x"}, "target.telegram_token"),
        ("target", {"webhook_secret": "has space"}, "target.webhook_secret"),
        ("target", {"callback_secret": "line\nbreak"}, "target.callback_secret"),
        ("thresholds", {"fds_growth_max": -1}, "fds_growth_max"),
        ("thresholds", {"rss_max": float("nan")}, "thresholds.rss_max"),
        ("thresholds", {"error_ratio_max": float("nan")}, "thresholds.error_ratio_max"),
        ("thresholds", {"listener_warnings_max": True}, "listener_warnings_max"),
        ("thresholds", {"connection_reuse_min": False}, "connection_reuse_min"),
        ("thresholds", {"rss_slope_max": ["2 MiB/h"]}, "thresholds.rss_slope_max"),
        ("thresholds", {"calls_per_update_max": {"text.telegram": True}}, "calls_per_update_max.text.telegram"),
        ("thresholds", {"upstream_calls_per_update_max": {"telegram": -1}}, "upstream_calls_per_update_max.telegram"),
        ("load", {"users": True}, "users"),
        ("load", {"mix": {"text": True}}, "mix.text"),
        ("load", {"mix": {"text": 0, "voice": 0}}, "mix"),
        ("load", {"rate_per_user": float("inf")}, "load.rate_per_user"),
        ("collector", {"tcp_every": "1 ms"}, "collector.tcp_every"),
        ("collector", {"forced_gc_every": "1 ms"}, "forced_gc_every"),
        ("collector", {"temp_patterns": ["../*"]}, "collector.temp_patterns.0"),
        ("interception", {"hosts": {"telegram": "api.telegram.org:70000"}}, "interception.hosts.telegram"),
        ("mocks", {"telegram": {"file_size": "2 GiB"}}, "mocks.telegram.file_size"),
        ("mocks", {"telegram": {"faults": [{"kind": "error", "rate": True}]}}, "rate"),
        ("mocks", {"cursor_runner": {"latency": float("inf")}}, "mocks.cursor_runner.latency"),
    ],
)
def test_bad_value_is_a_one_line_error_naming_its_field(section: str, values: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_profile(_with(section, values))
    message = str(info.value)
    assert field in message
    assert "\n" not in message and "\x00" not in message


def test_what_stays_valid() -> None:
    spec = parse_profile(_with("collector", {"forced_gc_every": 0, "tcp_every": "50 ms"}))
    assert spec.collector.forced_gc_every_s == 0 and spec.collector.tcp_every_s == pytest.approx(0.05)
    assert parse_profile(_with("run", {"name": "nightly.v2_x-1"})).run.name == "nightly.v2_x-1"
    assert parse_profile(_with("load", {"mix": {"text": 1, "voice": 0}})).load.mix == {"text": 1, "voice": 0}


def test_an_override_onto_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('run = 5\n[target]\ncommand = ["node"]\n')
    with pytest.raises(ConfigError, match="run: must be a table"):
        load_profile(profile, {"run": {"duration": "9 s"}})


def test_a_directory_as_profile_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read profile"):
        load_profile(tmp_path)


def _spec(tmp_path: Path, **target: Any) -> Any:
    return parse_profile(
        {"target": {"command": ["node", "x.js"], "cwd": str(tmp_path), **target}, "run": {"results_dir": str(tmp_path)}}
    )


def test_prestart_passes_a_runnable_spec(tmp_path: Path) -> None:
    check_before_start(_spec(tmp_path))
    check_before_start(load_profile(ROOT / "profiles" / "smoke.toml", {"run": {"results_dir": str(tmp_path)}}))


def test_prestart_names_what_cannot_work_here(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    cases = [
        (_spec(tmp_path / "missing"), "target.cwd: "),
        (_spec(a_file), "not a directory"),
        (_spec(tmp_path, command=["no-such-program-soak"]), "target.command: 'no-such-program-soak' is not found"),
        (_spec(tmp_path, command=["./run.sh"]), "target.command: './run.sh' is not an executable file"),
        (_spec(tmp_path, command=["node"], env={"PATH": str(tmp_path)}), "not found on PATH"),
        (parse_profile({"target": {"command": ["node"], "cwd": str(tmp_path)}, "run": {"results_dir": str(a_file)}}),
         "run.results_dir: "),
        (parse_profile({"target": {"command": ["node"], "cwd": str(tmp_path)},
                        "run": {"results_dir": str(a_file / "below")}}), "is a file"),
        (parse_profile({"target": {"command": ["node"], "cwd": str(tmp_path)}, "load": {"scenario": "nope"}}),
         "load.scenario: unknown scenario 'nope'"),
    ]  # fmt: skip
    for spec, expected in cases:
        with pytest.raises(ConfigError) as info:
            check_before_start(spec)
        assert expected in str(info.value), (expected, str(info.value))
    os.chmod(script, 0o755)
    check_before_start(_spec(tmp_path, command=["./run.sh"]))
    assert sorted(tmp_path.iterdir()) == sorted([a_file, script])  # the checks created nothing
