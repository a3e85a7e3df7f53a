"""A base-url run whose upstream URL points off the machine: the egress guard (the Node preload,
loaded in every interception mode) refuses each connection before a packet leaves, records it,
and the run fails on it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import shipped_profile_text
from tests.e2e.test_runs import run_dir_of, soak

TEST_NET = "192.0.2.1"  # TEST-NET-1: never routed anywhere


def test_a_base_url_run_pointing_off_the_machine_is_refused_and_fails(tmp_path: Path) -> None:
    text = shipped_profile_text("smoke.toml")
    # A wrong URL in the profile, as a user might leave one: it overrides the one soak sets.
    text = text.replace('LEAKS = ""\n', f'LEAKS = ""\nCURSOR_RUNNER_URL = "http://{TEST_NET}:3001"\n')
    text += '\n[interception]\nmode = "base-url"\n'
    profile = tmp_path / "off-machine.toml"
    profile.write_text(text)
    result = soak("run", str(profile), "--duration", "15 s", "--results", str(tmp_path / "results"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL         egress_refused" in result.stdout
    run_dir = run_dir_of(result)
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    info = json.loads((run_dir / "run.json").read_text())
    target_pid = info["target"]["pid"]
    assert info["interception"]["mode"] == "base-url" and info["interception"]["preload_pids"] == [target_pid]
    refused = [event for event in events if event["event"] == "egress_refused"]
    assert len(refused) >= 10 and {(e["host"], e["port"], e["pid"]) for e in refused} == {(TEST_NET, 3001, target_pid)}
    assert f"soak egress guard: refused connection to {TEST_NET}:3001" in (run_dir / "target.log").read_text()
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert any(f"{TEST_NET}:3001" in note for note in verdict["notes"])
