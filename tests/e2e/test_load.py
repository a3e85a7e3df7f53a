"""Whole runs of the reference bot with the load of real traffic: a locustfile of the user's own,
Locust workers (local and joining by the documented command), chats never seen before against a
fixed pool, bad input, and the knee."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from pathlib import Path

from harness.procs import free_port
from tests.e2e.test_runs import ROOT, SOAK, run_dir_of, soak

OWN_LOCUSTFILE = """
from locust import task

from scenarios import payloads
from scenarios.webhook import WebhookUser


class OwnUser(WebhookUser):
    @task
    def ask_then_check(self) -> None:
        chat = self.next_chat()
        self.send(payloads.text_update(chat, "Which deploy broke the build?"), "text")
        self.send(payloads.command_update(chat, "/status"), "command")
"""

PROFILE = """
[run]
name = "{name}"
duration = "{duration}"
cooldown = "{cooldown}"
interval = "1 s"

[target]
command = ["node", "src/index.js"]
cwd = "{bot_dir}"

[collector]
# Memory judged after a forced GC, as every shipped profile: before GC, garbage between
# collections grows with the load, and the resource screen cannot tell it from a leak.
inspector_every = "1 s"
forced_gc_every = "4 s"

[mocks.cursor_runner]
mode = "sync+callback"
latency = "{cr_latency}"
callback_delay = "20 ms"
max_concurrent = {cr_slots}

[load]
{load}

[thresholds]
warmup = "10 s"
window = "3 s"
fds_growth_max = 16
lost_updates_max = 0
completion_timeout = "6 s"
{thresholds}
"""


def _profile(tmp_path: Path, name: str, load: str, *, duration: str = "30 s", thresholds: str = "",
             cr_latency: str = "20 ms", cr_slots: int = 5, cooldown: str = "8 s") -> Path:  # fmt: skip
    path = tmp_path / f"{name}.toml"
    text = PROFILE.format(bot_dir=ROOT / "examples/reference-bot", name=name, duration=duration, load=load,
                          thresholds=thresholds, cr_latency=cr_latency, cr_slots=cr_slots,
                          cooldown=cooldown)  # fmt: skip
    path.write_text(text)
    return path


def _records(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / "updates.jsonl").read_text().splitlines()]


def _locust_requests(run_dir: Path) -> int:
    with (run_dir / "locust" / "locust_stats.csv").open(newline="") as handle:
        return next(int(row["Request Count"]) for row in csv.DictReader(handle) if row["Name"] == "Aggregated")


def _checks(run_dir: Path) -> dict[str, dict[str, object]]:
    verdict = json.loads((run_dir / "verdict.json").read_text())
    return {check["name"]: check for check in verdict["checks"]}


def test_own_locustfile_with_two_workers_is_accounted_as_one_process(tmp_path: Path) -> None:
    """A locustfile from a temp dir, sent by a master and two local workers in the open model, with
    new chats and bad input: every request is one line of updates.jsonl, no id is used twice, and the
    accounting finds every update completed."""
    locustfile = tmp_path / "own_scenario" / "ask.py"
    locustfile.parent.mkdir()
    locustfile.write_text(OWN_LOCUSTFILE)
    load = (f'scenario = "{locustfile}"\nshape = "arrival_rate"\nrate = 16\nusers = 8\n'
            "new_chat_share = 0.2\nbad_input_share = 0.05")  # fmt: skip
    result = soak("run", str(_profile(tmp_path, "own", load)), "--workers", "2", "--results", str(tmp_path))
    run_dir = run_dir_of(result)
    assert result.returncode == 0, result.stdout + result.stderr
    records = _records(run_dir)
    assert len(records) == _locust_requests(run_dir)
    assert abs(len(records) - 16 * 30) <= 16 * 30 * 0.05  # the open model's rate, workers together
    updates = [r for r in records if r["kind"] != "bad_input"]
    assert len({r["u"] for r in updates}) == len({r["msg"] for r in updates}) == len(updates)
    assert {r["kind"] for r in updates} == {"text", "command"}
    assert all(isinstance(r.get("sched"), float) for r in records)
    chats = {r["chat"] for r in updates}
    # next_chat() once per task of two updates: a fifth of the tasks (a tenth of the updates) from new chats.
    assert 0.07 * len(updates) < len(chats) < 0.14 * len(updates)
    checks = _checks(run_dir)
    assert checks["lost_updates"]["status"] == "pass" and checks["lost_updates"]["figure"] == 0
    assert checks["bad_input_answers"]["status"] == "pass"
    assert (run_dir / "locust" / "report.html").stat().st_size > 10_000  # Locust's own report
    info = json.loads((run_dir / "run.json").read_text())
    assert len(info["locust"]["worker_pids"]) == 2 and str(locustfile) in info["locust"]["locustfiles"]


def test_a_remote_worker_joins_with_the_documented_command(tmp_path: Path) -> None:
    port = free_port()
    load = f'scenario = "text"\nusers = 4\nrate_per_user = 2\nmaster_bind = "127.0.0.1:{port}"\nremote_workers = 1'
    profile = _profile(tmp_path, "remote", load, duration="15 s")
    run = subprocess.Popen([*SOAK, "run", str(profile), "--results", str(tmp_path)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    command = None
    deadline = time.monotonic() + 90
    while command is None and time.monotonic() < deadline and run.poll() is None:
        for info_path in tmp_path.glob("remote-*/run.json"):
            command = json.loads(info_path.read_text()).get("locust", {}).get("remote_worker_command")
        time.sleep(0.3)
    assert command is not None, "run.json never gave the remote worker's command"
    assert f"--master-host 127.0.0.1 --master-port {port}" in command
    worker = subprocess.Popen(command, shell=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stdout, stderr = run.communicate(timeout=240)
        assert worker.wait(timeout=30) == 0  # it leaves when its master quits
    finally:
        run.kill()
        worker.kill()
    assert run.returncode == 0, stdout + stderr
    run_dir = next(tmp_path.glob("remote-*"))
    assert len(_records(run_dir)) == _locust_requests(run_dir) > 60


def test_state_kept_per_chat_is_a_leak_with_new_chats_and_a_plateau_with_a_fixed_pool(tmp_path: Path) -> None:
    leaking = soak("run", "profiles/leak-per-chat.toml", "--results", str(tmp_path))
    assert leaking.returncode == 1, leaking.stdout + leaking.stderr
    grows = _checks(run_dir_of(leaking))["rss_per_request"]
    assert grows["status"] == "fail" and 100_000 < float(str(grows["figure"])) < 170_000  # 128 KiB per update
    # The pool keeps the same state per chat, in Buffers, but stops growing once every chat of the
    # pool was seen: external memory after GC shows the plateau. RSS, which the allocator keeps,
    # may only say it cannot tell on a loaded machine (p=0.25 once); it must never fail.
    pooled = soak("run", "profiles/leak-benign-per-chat-pool.toml", "--results", str(tmp_path))
    assert pooled.returncode in (0, 3), pooled.stdout + pooled.stderr
    checks = _checks(run_dir_of(pooled))
    # The fill (100 MiB in the first third of the span) is far above the hourly limit: only the
    # plateau after it passes it. Per update, the fill spread over the whole span may pass alone.
    plateau = checks["external_slope"]
    assert plateau["status"] == "pass" and "plateau" in str(plateau["detail"]), pooled.stdout
    assert checks["external_per_request"]["status"] == "pass", pooled.stdout
    assert checks["rss_per_request"]["status"] != "fail", pooled.stdout


def test_knee_run_names_the_highest_rate_held_with_its_step_table(tmp_path: Path) -> None:
    """cursor-runner with 2 slots of 100 ms holds 20 jobs/s: 10 updates/s hold, 30 do not (the
    queue, and end-to-end latency, grow for as long as the step lasts). One run crosses the knee;
    a run that holds every step is judged in tests/unit/test_knee.py."""
    load = 'scenario = "text"\nshape = "knee"\nrate = 10\nstep_rate = 20\npeak_rate = 30\nstep = "8 s"\nusers = 20'
    limits = 'latency_p95_max = "1 s"\ne2e_latency_p95_max = "1 s"\nerror_ratio_max = 0.01'
    # The crossed step's backlog drains in the cool-down; 20 s leaves room on a busy machine.
    profile = _profile(tmp_path, "knee", load, duration="60 s", cr_latency="100 ms", cr_slots=2, thresholds=limits,
                       cooldown="20 s")  # fmt: skip
    crossed = soak("run", str(profile), "--results", str(tmp_path))
    run_dir = run_dir_of(crossed)
    knee = json.loads((run_dir / "verdict.json").read_text())["knee"]
    assert knee["rate"] == 10 and [step["rate"] for step in knee["steps"]] == [10, 30], knee
    assert knee["steps"][0]["held"] and abs(knee["steps"][0]["achieved_rate"] - 10) < 1, knee
    assert not knee["steps"][1]["held"] and "e2e p95" in " ".join(knee["steps"][1]["crossed"]), knee
    # Judged end to end live too, from the mocks' records, so a queue stops the load in time.
    live = [json.loads(line) for line in (run_dir / "knee.jsonl").read_text().splitlines()]
    assert live[0]["e2e_crossed"] == [] and live[0]["e2e_p95_ms"] is not None, live
    assert "e2e p95" in " ".join(live[1]["e2e_crossed"]), live
    assert "| 30 |" in (run_dir / "summary.md").read_text() and "<h3>Knee</h3>" in (run_dir / "report.html").read_text()
    checks = _checks(run_dir)
    assert "latency_p95" not in checks and "error_ratio" not in checks  # the knee's limits, not the run's
    # The overload queued work and held connections open: judged after the cool-down, not a leak.
    fds = checks["fds_growth"]
    assert fds["status"] == "pass" and "after the cool-down" in str(fds["detail"]), fds
