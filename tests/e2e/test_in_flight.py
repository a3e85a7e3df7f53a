"""Updates in flight when the load stops: the reference bot is stopped (SIGSTOP) for the last seconds
of the load, so Locust stops its users while they wait for the webhook's answers, and resumed once
Locust is gone: it then does the work of updates no answer was ever read for. Each must be in
updates.jsonl, and the calls made for them must not be charged to other updates of the same file."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from harness.accounting.join import AMBIGUOUS
from tests.conftest import BOT_DIR
from tests.e2e.test_runs import ROOT, SOAK

LOAD_S = 24
STOP_BEFORE_END_S = 4  # the target stops this long before the load ends...
RESUME_AFTER_END_S = 10  # ...and resumes this long after (past Locust's 5 s stop timeout)
# TARGET-CONTRACT §5 with S=1 (status messages), A=0 (text replies), cursor-runner "sync".
BUDGETS = {"text.telegram": 2, "text.cursor_runner": 1, "voice_forwarded.telegram": 5,
           "voice_forwarded.elevenlabs": 1, "voice_forwarded.cursor_runner": 1}  # fmt: skip
PROFILE = f"""
[run]
name = "in-flight"
duration = "{LOAD_S} s"
cooldown = "30 s"
baseline = "2 s"
interval = "1 s"

[target]
command = ["node", "src/index.js"]
cwd = "{BOT_DIR}"

[mocks.cursor_runner]
mode = "sync"
latency = "20 ms"

[load]
scenario = "mixed"
shape = "arrival_rate"
rate = 10
users = 80
mix = {{ text = 1, voice = 3 }}
file_reuse_share = 0.7

[thresholds]
warmup = "5 s"
work_window = "5 s"
completion_timeout = "12 s"
calls_per_update_max = {{ {", ".join(f'"{key}" = {n}' for key, n in BUDGETS.items())} }}
"""


def _wait_for(predicate: Any, deadline_s: float, what: str) -> Any:
    while time.monotonic() < deadline_s:
        if (found := predicate()) is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"never saw {what}")


def _load_start(run_dir: Path) -> float | None:
    try:
        lines = (run_dir / "events.jsonl").read_text().splitlines()
    except FileNotFoundError:
        return None
    starts = [json.loads(line)["time"] for line in lines if '"phase": "load"' in line or '"phase":"load"' in line]
    return starts[0] if starts else None


def _run_with_a_stall(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    profile = tmp_path / "in-flight.toml"
    profile.write_text(PROFILE)
    run = subprocess.Popen([*SOAK, "run", str(profile), "--results", str(tmp_path)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline_s = time.monotonic() + 120
        run_dir = _wait_for(lambda: next(tmp_path.glob("in-flight-*/run.json"), None), deadline_s, "run.json").parent
        pid = _wait_for(lambda: json.loads((run_dir / "run.json").read_text()).get("target", {}).get("pid"),
                        deadline_s, "the target's pid")  # fmt: skip
        load_end = _wait_for(lambda: _load_start(run_dir), deadline_s, "the load phase") + LOAD_S
        time.sleep(max(0.0, load_end - STOP_BEFORE_END_S - time.time()))
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(max(0.0, load_end + RESUME_AFTER_END_S - time.time()))
        finally:
            os.kill(pid, signal.SIGCONT)
        stdout, stderr = run.communicate(timeout=240)
    finally:
        run.kill()
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr), run_dir


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_updates_in_flight_at_the_stop_are_recorded_and_their_calls_are_their_own(tmp_path: Path) -> None:
    result, run_dir = _run_with_a_stall(tmp_path)
    assert (run_dir / "verdict.json").is_file(), result.stdout + result.stderr
    records = [r for r in _lines(run_dir / "updates.jsonl") if r["kind"] != "bad_input"]
    stopped = [r for r in records if r.get("why") == "load stopped"]
    assert len(stopped) >= 5 and all(r["status"] == 0 for r in stopped), len(stopped)
    # Every update the service worked on is in the log: each reply names one, each prompt's tag, each file.
    calls = _lines(run_dir / "upstream-calls.jsonl")
    msgs, files = {r["msg"] for r in records}, {r.get("file") for r in records}
    replied = {c["reply_to"] for c in calls if c.get("reply_to") is not None}
    tagged = {int(m) for c in calls for m in re.findall(r"\[soak m(\d+)\]", c.get("prompt") or "")}
    assert replied <= msgs and tagged <= msgs and {c["file_id"] for c in calls if c.get("file_id")} <= files
    # Replies were sent for updates Locust never read an answer for: the work the stop left.
    assert replied & {r["msg"] for r in stopped}, "the resumed bot did no work for the stopped updates"
    verdict = json.loads((run_dir / "verdict.json").read_text())
    checks = {check["name"]: check for check in verdict["checks"]}
    budgets = {name: checks[f"calls_per_update.{name}"] for name in BUDGETS}
    assert all(check["status"] == "pass" for check in budgets.values()), budgets
    steady = {row["flow"]: row for row in verdict["flows"] if row["part"] == "steady"}
    voice = steady["voice_forwarded"]["calls_per_update"]
    assert voice["elevenlabs"] <= 1.0 and voice["telegram"] <= 5.0, steady["voice_forwarded"]
    assert not [note for note in verdict["notes"] if "match no update" in note or AMBIGUOUS in note]
