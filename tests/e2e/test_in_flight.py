"""Updates in flight when the load stops: the reference bot answers its webhook only once an
update's work is done (the `answer-after-work` defect) and cursor-runner takes seconds, so Locust
stops its last users while they wait; the bot still does their work. Each must be in updates.jsonl,
and the calls made for them must not be charged to other updates of the same file. (The knee run
of profiles/peak.toml shows the same on the clean bot, where Locust itself falls behind.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness.accounting.join import AMBIGUOUS
from tests.conftest import BOT_DIR
from tests.e2e.test_runs import run_dir_of, soak

# TARGET-CONTRACT §5 with S=1 (status messages), A=0 (text replies), results by callback.
BUDGETS = {"text.telegram": 2, "text.cursor_runner": 1, "voice_forwarded.telegram": 5,
           "voice_forwarded.elevenlabs": 1, "voice_forwarded.cursor_runner": 1}  # fmt: skip
# A job takes longer than Locust's 5 s stop timeout: updates sent in the load's last seconds are
# still waiting for their answer when Locust stops their users.
PROFILE = f"""
[run]
name = "in-flight"
duration = "20 s"
cooldown = "30 s"
baseline = "2 s"
interval = "1 s"

[target]
command = ["node", "src/index.js"]
cwd = "{BOT_DIR}"

[target.env]
BOT_DEFECTS = "answer-after-work"
BOT_DEBUG = "1"

[mocks.cursor_runner]
mode = "sync+callback"
latency = "8 s"
callback_delay = "20 ms"
max_concurrent = 64

[load]
scenario = "mixed"
shape = "arrival_rate"
rate = 4
users = 60
mix = {{ text = 1, voice = 3 }}
file_reuse_share = 0.8

[thresholds]
warmup = "2 s"
work_window = "5 s"
completion_timeout = "15 s"
lost_updates_max = 0
calls_per_update_max = {{ {", ".join(f'"{key}" = {n}' for key, n in BUDGETS.items())} }}
"""


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_updates_in_flight_at_the_stop_are_recorded_and_their_calls_are_their_own(tmp_path: Path) -> None:
    profile = tmp_path / "in-flight.toml"
    profile.write_text(PROFILE)
    # Two Locust workers: users stopped on a worker relay their records to the master too.
    result = soak("run", str(profile), "--workers", "2", "--results", str(tmp_path))
    run_dir = run_dir_of(result)
    assert (run_dir / "verdict.json").is_file(), result.stdout + result.stderr
    records = [r for r in _lines(run_dir / "updates.jsonl") if r["kind"] != "bad_input"]
    stopped = [r for r in records if r.get("why") == "load stopped"]
    assert len(stopped) >= 3 and all(r["status"] == 0 and "ms" not in r for r in stopped), len(stopped)
    # Every update the service worked on is in the log: each reply names one, each prompt's tag, each file.
    calls = _lines(run_dir / "upstream-calls.jsonl")
    msgs, files = {r["msg"] for r in records}, {r.get("file") for r in records}
    replied = {c["reply_to"] for c in calls if c.get("reply_to") is not None}
    tagged = {int(m) for c in calls for m in re.findall(r"\[soak m(\d+)\]", c.get("prompt") or "")}
    assert replied <= msgs and tagged <= msgs and {c["file_id"] for c in calls if c.get("file_id")} <= files
    # The bot finished updates Locust never read an answer for: the work the stop left.
    assert replied & {r["msg"] for r in stopped}, "the bot did no work for the stopped updates"
    verdict = json.loads((run_dir / "verdict.json").read_text())
    checks = {check["name"]: check for check in verdict["checks"]}
    budgets = {name: checks[f"calls_per_update.{name}"] for name in BUDGETS}
    assert all(check["status"] == "pass" for check in budgets.values()), budgets
    assert checks["lost_updates"]["figure"] == 0, checks["lost_updates"]
    steady = {row["flow"]: row for row in verdict["flows"] if row["part"] == "steady"}
    voice = steady["voice_forwarded"]
    assert voice["calls_per_update"] == {"telegram": 5.0, "elevenlabs": 1.0, "cursor_runner": 1.0}, voice
    assert not [note for note in verdict["notes"] if "match no update" in note or AMBIGUOUS in note]
