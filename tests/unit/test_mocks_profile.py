"""A profile's [mocks] tables are the mocks' own models: units, every option, routes checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import ConfigError, TargetSection, load_profile, parse_profile
from mocks.config import ROUTES, MocksConfig, MockSettings, TelegramConfig, TlsFiles
from mocks.cursor_runner.app import create_app as create_cursor_runner
from mocks.elevenlabs.app import create_app as create_elevenlabs
from mocks.telegram.app import create_app as create_telegram

PROFILE = """
[run]
name = "faulty"

[target]
command = ["node", "src/index.js"]

[mocks]
correlation_max_records = 1000

[mocks.telegram]
file_size = "2 MiB"
strict = false
file_link_ttl = "10 min"

[[mocks.telegram.faults]]
route = "sendMessage"
kind = "error"
status = 503
rate = 0.5
start = "10 min"
end = "15 min"

[[mocks.telegram.faults]]
route = "getFile"
kind = "rate_limit"
retry_after = "3 s"

[mocks.elevenlabs]
tts_size = "64 KiB"
transcripts = { "AwACAgIAAxkDAAE-v311" = "/status" }

[[mocks.elevenlabs.faults]]
route = "speech_to_text"
kind = "dribble"
dribble_rate = "2 KiB/s"

[mocks.cursor_runner]
mode = "async"
max_concurrent = 3
latency = "20 ms"
callback_delay = "1 s"
latency_distribution = { kind = "lognormal", median = "45 s", sigma = 1.0, cap = "15 min" }
callback_faults = { drop = 0.1 }

[[mocks.cursor_runner.faults]]
route = "iterate"
kind = "latency"
latency = "6 min"
"""


def _spec_of(tmp_path: Path, text: str) -> MockSettings:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path).mocks


def _wire(settings: MockSettings, **overrides: object) -> MocksConfig:
    wiring: dict[str, object] = {
        "telegram_token": "1:tok",
        "elevenlabs_api_key": "xi",
        "callback_url": "http://127.0.0.1:9/cursor-runner/callback",
        "callback_secret": "cb",
        "tls": {},
        "stats_interval_s": 2.0,
    }
    return MocksConfig.for_run(settings, **{**wiring, **overrides})  # type: ignore[arg-type]


def test_profile_tables_with_units_reach_the_mocks_config(tmp_path: Path) -> None:
    config = _wire(_spec_of(tmp_path, PROFILE))
    window, limit = config.telegram.faults
    assert (window.route, window.status, window.rate, window.start_s, window.end_s) == (
        "sendMessage",
        503,
        0.5,
        600,
        900,
    )
    assert limit.retry_after_s == 3 and limit.start_s is None
    assert config.telegram.file_size_bytes == 2 * 1024 * 1024 and config.elevenlabs.tts_size_bytes == 64 * 1024
    assert config.telegram.strict is False and config.telegram.file_link_ttl_s == 600
    assert config.elevenlabs.faults[0].dribble_bytes_per_s == 2048
    assert config.elevenlabs.transcripts == {"AwACAgIAAxkDAAE-v311": "/status"}
    cr = config.cursor_runner
    assert cr.mode == "async" and cr.max_concurrent == 3 and cr.callback_faults.drop == 0.1
    assert cr.latency_s == pytest.approx(0.02) and cr.callback_delay_s == 1.0
    assert cr.latency_distribution is not None and (
        cr.latency_distribution.median_s,
        cr.latency_distribution.cap_s,
    ) == (
        45,
        900,
    )
    assert cr.faults[0].latency.fixed_s == 360
    assert config.correlation_max_records == 1000 and config.stats_interval_s == 2.0


def test_the_run_wires_credentials_tls_and_callback(tmp_path: Path) -> None:
    tls = TlsFiles(cert_file="c.pem", key_file="k.pem")
    config = _wire(_spec_of(tmp_path, PROFILE), tls={"telegram": tls})
    assert config.telegram.token == "1:tok" and config.telegram.tls == tls and config.elevenlabs.tls is None
    assert config.elevenlabs.api_key == "xi"
    assert config.cursor_runner.callback_url == "http://127.0.0.1:9/cursor-runner/callback"
    assert config.cursor_runner.callback_secret == "cb"


def test_the_json_the_mocks_read_gives_back_the_same_config(tmp_path: Path) -> None:
    config = _wire(_spec_of(tmp_path, PROFILE))
    assert MocksConfig.model_validate_json(config.model_dump_json()) == config


def test_the_target_and_the_mocks_share_their_default_credentials() -> None:
    target = TargetSection(command=["node"])
    assert MocksConfig().telegram.token == target.telegram_token
    assert MocksConfig().elevenlabs.api_key == target.elevenlabs_api_key


@pytest.mark.parametrize(
    ("mock", "route"),
    [("elevenlabs", "sttt"), ("elevenlabs", "/v1/speech-to-text"), ("telegram", "sendmessage")],
)
def test_a_fault_on_a_route_the_mock_lacks_is_refused_with_its_routes(mock: str, route: str) -> None:
    profile = {"target": {"command": ["node"]}, "mocks": {mock: {"faults": [{"route": route, "kind": "error"}]}}}
    with pytest.raises(ConfigError) as caught:
        parse_profile(profile)
    message = str(caught.value)
    assert f"mocks.{mock}.faults" in message and f"'{route}' is not a route of the {mock} mock" in message
    assert all(name in message for name in ROUTES[mock])


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"kind": "explode"}, "kind"),
        ({"kind": "hang", "status": 503}, "status does not apply to kind 'hang'"),
        ({"kind": "error", "start": "10 min", "end": "5 min"}, "end must be after start"),
        ({"kind": "rate_limit", "retry_after": "1500 ms"}, "whole seconds"),
        ({"kind": "latency", "latency": "soon"}, "not a number with a unit"),
        ({"kind": "error", "start": "10 parsecs"}, "unknown duration unit"),
    ],
)
def test_bad_faults_in_a_profile_are_one_line_config_errors(fault: dict[str, object], expected: str) -> None:
    profile = {"target": {"command": ["node"]}, "mocks": {"telegram": {"faults": [fault]}}}
    with pytest.raises(ConfigError, match=expected) as caught:
        parse_profile(profile)
    assert "\n" not in str(caught.value)


def test_raw_seconds_window_names_are_not_a_second_spelling() -> None:
    profile = {"target": {"command": ["node"]}, "mocks": {"telegram": {"faults": [{"kind": "error", "start_s": 1}]}}}
    with pytest.raises(ConfigError, match="start_s"):
        parse_profile(profile)


def test_every_declared_route_is_one_the_app_serves() -> None:
    apps = {
        "telegram": create_telegram(TelegramConfig()),
        "elevenlabs": create_elevenlabs(MocksConfig().elevenlabs),
        "cursor_runner": create_cursor_runner(MocksConfig().cursor_runner),
    }
    assert {name: set(app.route_names) for name, app in apps.items()} == {name: set(ROUTES[name]) for name in apps}
