"""Placeholders in [target.env]: refused when unknown, filled from what soak injects at the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import ConfigError, parse_profile
from harness.placeholders import PLACEHOLDERS, fill, unknown_placeholders
from harness.procs import HarnessError
from harness.target import target_env

OURS = {
    "REDIS_URL": "redis://127.0.0.1:6390/0",
    "CURSOR_RUNNER_URL": "http://127.0.0.1:7001",
    "NODE_EXTRA_CA_CERTS": "/run/ca.pem",
}
MOCKS = {"telegram_tls": "https://127.0.0.1:7443", "elevenlabs_tls": "https://127.0.0.1:7444"}


def _target(env: dict[str, str]) -> object:
    return parse_profile({"target": {"command": ["node"], "cwd": "/", "env": env}}).target


def test_every_placeholder_is_filled_from_the_run() -> None:
    env = {f"X_{name.upper()}": "{" + name + "}" for name in PLACEHOLDERS}
    filled = target_env(_target(env), 4321, OURS, Path("/run/tmp"), MOCKS)  # type: ignore[arg-type]
    assert filled["X_PORT"] == "4321" and filled["X_HOST"] == "127.0.0.1"
    assert filled["X_BASE_URL"] == "http://127.0.0.1:4321"
    assert filled["X_REDIS_URL"] == OURS["REDIS_URL"] and filled["X_CURSOR_RUNNER_URL"] == OURS["CURSOR_RUNNER_URL"]
    assert filled["X_TELEGRAM_URL"] == MOCKS["telegram_tls"] and filled["X_ELEVENLABS_URL"] == MOCKS["elevenlabs_tls"]
    assert filled["X_TMPDIR"] == "/run/tmp" and filled["X_CA_CERT"] == "/run/ca.pem"
    assert filled["X_TELEGRAM_TOKEN"] == filled["TELEGRAM_BOT_TOKEN"]
    assert filled["X_WEBHOOK_SECRET"] == filled["TELEGRAM_WEBHOOK_SECRET"]
    assert filled["X_CALLBACK_SECRET"] == filled["WEBHOOK_SECRET"]
    assert filled["X_ELEVENLABS_API_KEY"] == filled["ELEVENLABS_API_KEY"]
    assert not any("{" in filled[name] for name in env)


def test_mixed_text_escapes_and_json_braces() -> None:
    env = {
        "DSN": "redis+sentinel://{host}:{port}/x",
        "LITERAL": "{{port}} stays",
        "JSON": '{"retries": 3, "url": "{cursor_runner_url}"}',
    }
    filled = target_env(_target(env), 4321, OURS, Path("/t"), MOCKS)  # type: ignore[arg-type]
    assert filled["DSN"] == "redis+sentinel://127.0.0.1:4321/x"
    assert filled["LITERAL"] == "{port} stays"
    assert filled["JSON"] == '{"retries": 3, "url": "http://127.0.0.1:7001"}'


def test_the_profile_overrides_what_soak_injects() -> None:
    filled = target_env(_target({"PORT": "{port}", "REDIS_URL": "redis://elsewhere"}), 4321, OURS, Path("/t"))  # type: ignore[arg-type]
    assert filled["PORT"] == "4321" and filled["REDIS_URL"] == "redis://elsewhere"


def test_an_unknown_placeholder_is_refused_when_the_profile_loads() -> None:
    assert unknown_placeholders("{redis_url} {redis_ur} {{nope}} {NotOne}") == ["redis_ur"]
    with pytest.raises(ConfigError, match=r"target.env.CACHE: unknown placeholder \{redis_ur\}"):
        _target({"CACHE": "{redis_ur}"})


def test_a_placeholder_this_run_has_no_value_for_stops_the_start() -> None:
    # Started without the mocks' URLs (as `soak collect` never starts a target, only a caller could).
    with pytest.raises(HarnessError, match=r"target.env.API: \{telegram_url\} has no value"):
        target_env(_target({"API": "{telegram_url}"}), 1, OURS, Path("/t"))  # type: ignore[arg-type]


def test_fill_leaves_names_it_has_no_value_for() -> None:
    assert fill("{port}-{other}", {"port": "1"}) == "1-{other}"
