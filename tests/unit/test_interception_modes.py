"""The [interception] profile section and what each mode puts into the target's start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import ConfigError, InterceptionSection, parse_profile
from harness.interception import PRELOAD_JS, InterceptionMode, InterceptionPlan, parse_redirects
from harness.target import append_node_options

MOCK_URLS = {
    "telegram": "http://127.0.0.1:4001",
    "telegram_tls": "https://127.0.0.1:4002",
    "elevenlabs": "http://127.0.0.1:4003",
    "elevenlabs_tls": "https://127.0.0.1:4004",
    "cursor_runner": "http://127.0.0.1:4005",
}


def _plan(tmp_path: Path, **section: object) -> InterceptionPlan:
    spec = parse_profile({"target": {"command": ["node"]}, "interception": section})
    return InterceptionPlan.prepare(spec.interception, tmp_path)


def test_default_is_node_preload_for_both_real_hosts(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert plan.mode is InterceptionMode.NODE_PRELOAD
    assert sorted(plan.mock_tls) == ["elevenlabs", "telegram"]
    assert plan.mock_tls["telegram"].cert_file.endswith("api.telegram.org.pem")
    side = plan.activate(MOCK_URLS, tmp_path, tmp_path / "events.jsonl", 1000.0)
    assert json.loads(side.env["SOAK_INTERCEPT_MAP"]) == {
        "api.telegram.org:443": "127.0.0.1:4002",
        "api.elevenlabs.io:443": "127.0.0.1:4004",
    }
    assert side.env["NODE_EXTRA_CA_CERTS"] == str(plan.tls.ca_cert_file)
    assert (
        side.env["SOAK_EVENTS_FILE"] == str(tmp_path / "events.jsonl") and side.env["SOAK_EVENTS_T0"] == "1000.000000"
    )
    assert side.env["HTTPS_PROXY"] == "" and "TELEGRAM_API_BASE" not in side.env
    assert side.node_options == (f"--require {PRELOAD_JS}",)
    assert side.record["mode"] == "node-preload" and side.proxy is None


def test_preload_joins_node_options_the_shell_already_had(tmp_path: Path) -> None:
    side = _plan(tmp_path).activate(MOCK_URLS, tmp_path, tmp_path / "events.jsonl", 0.0)
    env = {"NODE_OPTIONS": "--max-old-space-size=256"}
    append_node_options(env, *side.node_options)
    append_node_options(env, "--inspect=127.0.0.1:0")
    assert env["NODE_OPTIONS"] == f"--max-old-space-size=256 --require {PRELOAD_JS} --inspect=127.0.0.1:0"
    assert PRELOAD_JS.is_file()


def test_base_url_mode_sets_the_named_variables_to_the_tls_mocks_and_guards_egress(tmp_path: Path) -> None:
    plan = _plan(tmp_path, mode="base-url", base_url_env={"telegram": "TG_BASE"})
    side = plan.activate(MOCK_URLS, tmp_path, tmp_path / "events.jsonl", 0.0)
    assert side.env["TG_BASE"] == "https://127.0.0.1:4002"
    assert "ELEVENLABS_API_BASE" not in side.env
    # The preload with an empty map: nothing redirected, everything off the machine refused.
    assert side.node_options == (f"--require {PRELOAD_JS}",) and side.env["SOAK_INTERCEPT_MAP"] == "{}"
    assert side.env["SOAK_EVENTS_FILE"] == str(tmp_path / "events.jsonl")
    assert side.record == {
        "mode": "base-url",
        "variables": {"TG_BASE": "https://127.0.0.1:4002"},
        "preload": str(PRELOAD_JS),
    }


def test_missing_tls_listener_is_a_clear_harness_error(tmp_path: Path) -> None:
    from harness.procs import HarnessError

    plain_only = {key: value for key, value in MOCK_URLS.items() if not key.endswith("_tls")}
    with pytest.raises(HarnessError, match="telegram_tls"):
        _plan(tmp_path).activate(plain_only, tmp_path, tmp_path / "events.jsonl", 0.0)


def test_redirects_default_to_port_443() -> None:
    (redirect,) = parse_redirects({"telegram": "API.Telegram.org"})
    assert (redirect.mock, redirect.host, redirect.port) == ("telegram", "api.telegram.org", 443)


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ({"mode": "hosts-file"}, "interception.mode"),
        ({"hosts": {"telegram": "https://api.telegram.org"}}, "interception.hosts.telegram"),
        ({"hosts": {"redis": "localhost:6379"}}, "interception.hosts.redis"),
        ({"base_url_env": {"telegram": "TELEGRAM API"}}, "interception.base_url_env.telegram"),
        ({"proxy": True}, "interception.proxy"),
    ],
)
def test_bad_sections_give_one_line_errors(section: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile({"target": {"command": ["node"]}, "interception": section})
    assert str(caught.value).startswith(where) and "\n" not in str(caught.value)


def test_a_target_that_never_loaded_the_preload_is_stopped(tmp_path: Path) -> None:
    from harness.procs import HarnessError
    from harness.rundir import EVENTS

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    plan = InterceptionPlan.prepare(InterceptionSection(), tmp_path)
    (run_dir / EVENTS).write_text('{"event": "phase", "phase": "target"}\n')
    with pytest.raises(HarnessError, match="never loaded the node-preload"):
        plan.confirm_loaded(run_dir)
    with (run_dir / EVENTS).open("a") as events:
        events.write('{"event": "preload_active", "pid": 4242}\n{"event": "preload_active", "pid": 17}\n')
    assert plan.confirm_loaded(run_dir) == [17, 4242]
    # In the other modes the preload is the egress guard only: a target that is not Node runs unguarded.
    other = InterceptionPlan(section=InterceptionSection(mode="proxy"), redirects=plan.redirects, tls=plan.tls)
    assert other.confirm_loaded(tmp_path / "nowhere") == []
    assert other.confirm_loaded(run_dir) == [17, 4242]
