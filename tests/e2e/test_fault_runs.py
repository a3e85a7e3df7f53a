"""Whole runs with a Redis-down window: the run goes on and records the bot's reaction; a bot that
dies of it fails target_alive; Redis dying outside any window still stops the run."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from harness.collector.store import SampleReader
from tests.conftest import shipped_profile_text
from tests.e2e.test_runs import assert_all_gone, run_dir_of, smoke_run_under_load, soak, started_pids

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="Redis faults need redis-server")
# Inside the judged load (it starts about 5 s in, judged 15 s later, 45 s long): the bot has traffic
# to fail on, and the first and last 3 s windows of the judged span stay clear of the window.
DOWN_START_S, DOWN_END_S = 28.0, 36.0
DURATION = "45 s"
REDIS_DOWN = f"""
[[redis.faults]]
kind = "down"
start = "{DOWN_START_S:g} s"
end = "{DOWN_END_S:g} s"
"""


def profile_with(tmp_path: Path, extra: str, env: str = 'LEAKS = ""') -> Path:
    """smoke.toml with a Redis-down window (and the bot's environment replaced by env)."""
    text = shipped_profile_text("smoke.toml")
    text = text.replace('LEAKS = ""', env).replace('backend = "auto"', 'backend = "redis-server"')
    text = text.replace("[mocks.cursor_runner]", extra + "\n[mocks.cursor_runner]")
    path = tmp_path / "redis-down.toml"
    path.write_text(text)
    return path


def events_of(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def checks_of(run_dir: Path) -> dict[str, str]:
    verdict = json.loads((run_dir / "verdict.json").read_text())
    return {check["name"]: check["status"] for check in verdict["checks"]}


def test_redis_down_window_on_the_clean_bot_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    result = soak("run", str(profile_with(tmp_path, REDIS_DOWN)), "--duration", DURATION, "--results", str(tmp_path))
    run_dir = run_dir_of(result)
    # The run went on (a harness error would be exit 2), and the outage lost no work outside it. The
    # reconnect storm may leave a growth check inconclusive (exit 3: sockets rose in the window,
    # came back in the cool-down); the residual checks judge what was kept.
    assert result.returncode in (0, 1, 3), result.stdout + result.stderr
    assert json.loads((run_dir / "run.json").read_text())["outcome"] == "completed"
    assert checks_of(run_dir)["target_alive"] == "pass" and checks_of(run_dir)["lost_updates"] == "pass"
    # The verdict says what the window did: the bot could not record most updates sent during it, so
    # it did not forward them (it apologised, which does not finish an update); ioredis held the
    # last second or two's commands until Redis came back, so those completed. Then it reconnected.
    verdict = json.loads((run_dir / "verdict.json").read_text())
    (window,) = verdict["fault_windows"]
    work = window["updates"]
    assert (window["upstream"], window["kind"]) == ("redis", "down") and work["sent"] > 20, window
    assert work["completed"] + work["not_completed"] == work["sent"], window
    assert work["not_completed"] >= 0.5 * work["sent"] and work["forwarded"] <= 0.5 * work["sent"], window
    assert 0 <= window["reconnected_after_s"] < 10, window
    summary = (run_dir / "summary.md").read_text()
    assert f"redis * down {DOWN_START_S:.0f}-{DOWN_END_S:.0f} s: {work['sent']} updates sent during it" in summary
    assert "the target reconnected" in summary
    redis_events = [e for e in events_of(run_dir) if e.get("upstream") == "redis"]
    assert [e["event"] for e in redis_events] == ["fault_window_start", "fault_window_end", "redis_target_reconnected"]
    assert redis_events[1]["data_saved"] is True and 0 <= redis_events[2]["after_s"] < 10
    assert not any(e["event"] == "helper_exit" for e in events_of(run_dir))
    up = SampleReader(run_dir / "samples.db").series("redis.up")
    assert up is not None
    during = [v for t, v in zip(up.t_s, up.values, strict=True) if DOWN_START_S + 1 < t < DOWN_END_S - 1]
    after = [v for t, v in zip(up.t_s, up.values, strict=True) if t > DOWN_END_S + 6]
    assert during and set(during) == {0.0} and after and set(after) == {1.0}
    # The bot said why it failed while Redis was away, and the run killed every process it started.
    assert "ECONNREFUSED" in (run_dir / "target.log").read_text()
    assert_all_gone(started_pids(run_dir))


def test_a_bot_that_dies_of_a_redis_error_fails_target_alive(tmp_path: Path) -> None:
    env = 'BOT_DEFECTS = "crash-on-redis-error"'
    result = soak(
        "run", str(profile_with(tmp_path, REDIS_DOWN, env)), "--duration", DURATION, "--results", str(tmp_path)
    )
    run_dir = run_dir_of(result)
    assert result.returncode == 1, result.stdout + result.stderr
    verdict = json.loads((run_dir / "verdict.json").read_text())
    alive = next(check for check in verdict["checks"] if check["name"] == "target_alive")
    assert alive["status"] == "fail" and "code 1" in alive["detail"], alive
    # The window closes when the run stops (the target's death ends the load), so its end varies.
    assert f"during fault window redis * down {DOWN_START_S:.0f}-" in alive["detail"], alive
    # The cause in the service's own words: the Redis error that went unhandled, from target.log.
    tail = "\n".join(verdict["target_exit"]["log_tail"])
    assert "MaxRetriesPerRequestError" in tail, tail
    exits = [e for e in events_of(run_dir) if e["event"] == "target_exit"]
    assert len(exits) == 1 and exits[0]["code"] == 1 and DOWN_START_S <= exits[0]["t_s"] < DOWN_END_S
    assert json.loads((run_dir / "run.json").read_text())["outcome"] == "completed"
    assert_all_gone(started_pids(run_dir))


def test_redis_dying_outside_its_windows_still_stops_the_run(tmp_path: Path) -> None:
    late = REDIS_DOWN.replace(f'"{DOWN_START_S:g} s"', '"10 min"').replace(f'"{DOWN_END_S:g} s"', '"11 min"')
    proc, run_dir = smoke_run_under_load(tmp_path, profile_with(tmp_path, late))
    os.kill(json.loads((run_dir / "run.json").read_text())["redis"]["pid"], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert "redis (redis-server) exited with code -9 mid-run" in stderr and "Traceback" not in stderr
    assert_all_gone(started_pids(run_dir))
