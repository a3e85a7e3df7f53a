"""Every update accounted for: each flow of the contract through the reference bot, healthy and with
a Telegram 5xx window, judged from verdict.json's per-flow table and checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import human
from tests.conftest import BOT_DIR
from tests.e2e.test_runs import run_dir_of, soak

FAULT_START_S, FAULT_END_S = 22, 30  # run clock; the load starts ~5 s in, judged from ~10 s
# Repeated file ids (scenarios/payloads.py) whose transcript is a local command, or empty (STT fails).
LOCAL_FILES = ("AwACAgIAAxkDAAE-rep000", "AwACAgIAAxkDAAE-rep001", "AwACAgIAAxkDAAE-rep002")
EMPTY_FILES = ("AwACAgIAAxkDAAE-rep003", "AwACAgIAAxkDAAE-rep004", "AwACAgIAAxkDAAE-rep005")
# TARGET-CONTRACT §5 with S=1 (status messages) and A=1 (spoken replies), results by callback.
PREDICTED: dict[str, dict[str, float]] = {
    "text": {"telegram": 2, "cursor_runner": 1},  # ⏳, result
    "edited": {"telegram": 2, "cursor_runner": 1},
    "local": {"telegram": 1},
    "voice_forwarded": {"telegram": 5, "elevenlabs": 2, "cursor_runner": 1},  # 🎤 getFile file ⏳ sendVoice; STT TTS
    "voice_local": {"telegram": 4, "elevenlabs": 2},  # 🎤 getFile file sendVoice; STT TTS
    "voice_failed": {"telegram": 4, "elevenlabs": 1},  # 🎤 getFile file ❌; STT
}


def flows_profile(tmp_path: Path, *, fault: bool) -> Path:
    transcripts = "\n".join([*(f'"{f}" = "/status"' for f in LOCAL_FILES), *(f'"{f}" = ""' for f in EMPTY_FILES)])
    budgets = ", ".join(f'"{flow}.{up}" = {n}' for flow, calls in PREDICTED.items() for up, n in calls.items())
    faults = f"""
[[mocks.telegram.faults]]
route = "sendMessage"
kind = "error"
status = 502
start = {FAULT_START_S}
end = {FAULT_END_S}
"""
    profile = tmp_path / "flows.toml"
    profile.write_text(f"""
[run]
name = "flows"
duration = "40 s"
cooldown = "10 s"
baseline = "2 s"

[target]
command = ["node", "src/index.js"]
cwd = "{BOT_DIR}"

[target.env]
BOT_DEBUG = "1"
BOT_ALLOW_AUDIO_OUTPUT = "1"

[mocks.cursor_runner]
mode = "sync+callback"
latency = "20 ms"
callback_delay = "20 ms"

[mocks.elevenlabs.transcripts]
{transcripts}
{faults if fault else ""}
[load]
scenario = "mixed"
users = 8
spawn_rate = 8
rate_per_user = 1.5
mix = {{ text = 3, voice = 4, callback = 2, command = 1, edited = 1, no_text = 1 }}

[thresholds]
warmup = "5 s"
work_window = "5 s"
completion_timeout = "8 s"
lost_updates_max = 0
jobs_per_update_max = 1
calls_per_update_max = {{ {budgets}, "callback_query.telegram" = 3, "callback_query.cursor_runner" = 1 }}
""")
    return profile


def verdict_of(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run_dir_of(result) / "verdict.json").read_text())
    return document


def rows(verdict: dict[str, Any], part: str) -> dict[str, dict[str, Any]]:
    return {row["flow"]: row for row in verdict["flows"] if row["part"] == part}


def predicted(row: dict[str, Any]) -> dict[str, float]:
    if row["flow"] == "callback_query":
        # Empty or local-command data: answerCallbackQuery + acknowledgement; free text: + ⏳ + result, a job.
        forwarded = row["forwarded"] / row["updates"]
        return {"telegram": 2 + forwarded, "cursor_runner": forwarded} if row["forwarded"] else {"telegram": 2}
    return PREDICTED.get(row["flow"], {})


def assert_as_the_contract_predicts(steady: dict[str, dict[str, Any]]) -> None:
    assert set(steady) >= {*PREDICTED, "callback_query", "callback"}, sorted(steady)
    for row in steady.values():
        assert row["completed"] == row["updates"] > 0, row
        assert row["calls_per_update"] == pytest.approx(predicted(row), abs=0.002), row


def test_each_flow_completes_every_update_with_the_calls_the_contract_predicts(tmp_path: Path) -> None:
    result = soak("run", str(flows_profile(tmp_path, fault=False)), "--results", str(tmp_path))
    verdict = verdict_of(result)
    checks = {check["name"]: check for check in verdict["checks"]}
    assert_as_the_contract_predicts(rows(verdict, "steady"))
    assert rows(verdict, "during faults") == {}
    assert checks["lost_updates"]["status"] == "pass" and checks["lost_updates"]["figure"] == 0
    assert checks["jobs_per_update"]["status"] == "pass" and checks["jobs_per_update"]["figure"] == 1
    budgets = {name: c for name, c in checks.items() if name.startswith("calls_per_update.")}
    assert len(budgets) == 14 and all(c["status"] == "pass" for c in budgets.values()), budgets
    # No call was left without an update, and nothing was set apart.
    assert not [note for note in verdict["notes"] if "match no update" in note or "counted apart" in note]


def test_a_telegram_5xx_window_shows_its_unfinished_updates_and_extra_calls_only_there(tmp_path: Path) -> None:
    result = soak("run", str(flows_profile(tmp_path, fault=True)), "--results", str(tmp_path))
    verdict = verdict_of(result)
    checks = {check["name"]: check for check in verdict["checks"]}
    steady, faulted = rows(verdict, "steady"), rows(verdict, "during faults")
    assert_as_the_contract_predicts(steady)  # outside the window, as healthy
    # In it: updates not completed (explained by the fault, none lost), and more Telegram calls for
    # text and local replies (each failed reply is followed by the bot's apology).
    assert sum(row["not_completed_in_faults"] for row in faulted.values()) > 0
    assert all(row["lost"] == 0 for row in faulted.values())
    for flow in ("text", "local"):
        assert faulted[flow]["calls_per_update"]["telegram"] > PREDICTED[flow]["telegram"], faulted[flow]
    lost = checks["lost_updates"]
    assert lost["status"] == "pass" and lost["figure"] == 0 and "not completed during injected faults" in lost["detail"]
    window = f"telegram sendMessage error {FAULT_START_S}-{FAULT_END_S} s"
    text = checks["calls_per_update.text.telegram"]
    assert text["status"] == "pass", text  # within the budget x fault factor (a failed reply and its apology)
    assert f"steady max {human.number(PREDICTED['text']['telegram'])} at" in text["detail"], text
    assert "during faults max" in text["detail"] and f"fault window {window}" in text["detail"], text
    assert [w["start_s"] for w in verdict["fault_windows"]] == [pytest.approx(FAULT_START_S, abs=1)]
    # The window's own line: the updates sent during it, some of them not finished by the fault.
    (during,) = [w["updates"] for w in verdict["fault_windows"]]
    assert during["sent"] > 0 and 0 < during["not_completed"] <= during["sent"], during
    assert during["completed"] + during["not_completed"] == during["sent"], during
    assert not [note for note in verdict["notes"] if "match no update" in note]


def test_report_on_a_run_whose_stored_spec_no_longer_validates_is_one_line_exit_2(tmp_path: Path) -> None:
    run_dir = tmp_path / "old-run"
    run_dir.mkdir()
    spec = {"target": {"command": ["node"]}, "thresholds": {"connection_reuse_max_gone": 20}}
    (run_dir / "run.json").write_text(json.dumps({"spec": spec}))
    result = soak("report", str(run_dir))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "connection_reuse_max_gone" in result.stderr
    assert "Traceback" not in result.stderr
