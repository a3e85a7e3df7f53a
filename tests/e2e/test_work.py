"""Whole runs judged on the work the service does: amplification under a fault window, silent mocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import BOT_DIR
from tests.e2e.test_runs import run_dir_of, soak

# A Telegram 502 window on sendMessage, in the middle of the judged load (run clock, seconds).
FAULT_START_S, FAULT_END_S = 25, 37


def work_profile(tmp_path: Path, leaks: str = "", extra: str = "", env: str = "") -> Path:
    profile = tmp_path / "work.toml"
    profile.write_text(f"""
[run]
name = "work"
duration = "45 s"
cooldown = "8 s"
baseline = "2 s"

[target]
command = ["node", "src/index.js"]
cwd = "{BOT_DIR}"

[target.env]
BOT_DEBUG = "1"
LEAKS = "{leaks}"
{env}

[mocks.cursor_runner]
mode = "sync+callback"
latency = "20 ms"
callback_delay = "20 ms"

[[mocks.telegram.faults]]
route = "sendMessage"
kind = "error"
status = 502
start = "{FAULT_START_S} s"
end = "{FAULT_END_S} s"

[load]
scenario = "text"
users = 10
spawn_rate = 10
rate_per_user = 2.0
{extra}
[thresholds]
warmup = "10 s"
work_window = "5 s"
upstream_calls_per_update_max = {{ telegram = 2.5, cursor_runner = 1.25 }}
""")
    return profile


def checks_of(run_dir: Path) -> dict[str, dict[str, Any]]:
    verdict = json.loads((run_dir / "verdict.json").read_text())
    return {check["name"]: check for check in verdict["checks"]}


def test_a_retry_storm_in_a_telegram_fault_window_fails_amplification_naming_the_window(tmp_path: Path) -> None:
    result = soak("run", str(work_profile(tmp_path, leaks="retry-storm:3")), "--results", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    checks = checks_of(run_dir_of(result))
    window = f"fault window telegram sendMessage error {FAULT_START_S}-{FAULT_END_S} s"
    for upstream in ("telegram", "cursor_runner"):
        check = checks[f"upstream_calls_per_update.{upstream}"]
        assert check["status"] == "fail", check
        assert window in check["detail"] and "during faults" in check["detail"]
        # The peak window touches the fault window; a service behind its load (a load average of 23:
        # 43.6 s) retries after the window closes, within the grace the windows give a fault's effects.
        assert FAULT_START_S - 5 <= check["peak_span_s"][0] <= FAULT_END_S + 10
    # Four jobs per update: the first try and three more, each with a new request id.
    assert checks["upstream_calls_per_update.cursor_runner"]["figure"] >= 3.0


def test_a_mock_the_flows_reach_that_gets_no_call_fails_with_its_reason(tmp_path: Path) -> None:
    # base-url mode, and a cursor-runner URL where nothing listens: the jobs never reach the mock.
    profile = work_profile(
        tmp_path, env='CURSOR_RUNNER_URL = "http://127.0.0.1:9"', extra='[interception]\nmode = "base-url"\n'
    )
    result = soak("run", str(profile), "--duration", "25 s", "--results", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    checks = checks_of(run_dir_of(result))
    silent = checks["upstream_called.cursor_runner"]
    assert silent["status"] == "fail" and silent["figure"] == 0
    assert "CURSOR_RUNNER_URL" in silent["detail"] and "\n" not in silent["detail"]
    assert checks["upstream_called.telegram"]["status"] == "pass"
