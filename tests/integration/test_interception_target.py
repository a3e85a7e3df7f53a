"""The runner's path for a target: the preload arrives through start_target next to --inspect, the
egress guard refuses an unmapped host at boot, and the refusal lands in the run's events.jsonl."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from harness.config import parse_profile
from harness.documents.events import EgressRefusedEvent, read_events
from harness.interception import PRELOAD_JS, InterceptionPlan, epoch_of_monotonic
from harness.rundir import EVENTS
from harness.target import start_target

EGRESS_TARGET_JS = Path(__file__).parent / "node" / "egress_target.js"
MOCK_URLS = {"telegram_tls": "https://127.0.0.1:1", "elevenlabs_tls": "https://127.0.0.1:2"}


def test_unmapped_host_at_boot_is_refused_and_reported(tmp_path: Path) -> None:
    spec = parse_profile({"target": {"command": ["node", str(EGRESS_TARGET_JS)], "cwd": str(tmp_path)}})
    run_dir, tmp_dir = tmp_path / "run", tmp_path / "tmp"
    run_dir.mkdir()
    tmp_dir.mkdir()
    t0 = time.monotonic()
    plan = InterceptionPlan.prepare(spec.interception, tmp_path)
    side = plan.activate(MOCK_URLS, run_dir, run_dir / EVENTS, epoch_of_monotonic(t0))
    target = start_target(spec.target, side.env, run_dir, tmp_dir, inspect=True, node_options=side.node_options)
    try:
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(f"{target.base_url}/health", timeout=2) as response:
                health = json.loads(response.read())
            if health["outcome"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        target.child.stop()
    assert health["outcome"] == "ESOAKEGRESS"
    assert f"--require {PRELOAD_JS}" in health["nodeOptions"] and "--inspect=127.0.0.1:0" in health["nodeOptions"]
    assert plan.confirm_loaded(run_dir) == [target.child.pid]
    refused = [event for event in read_events(run_dir) if isinstance(event, EgressRefusedEvent)]
    assert [(event.host, event.port, event.pid) for event in refused] == [("example.com", 443, target.child.pid)]
    assert 0 < (refused[0].t_s or 0) < time.monotonic() - t0
    assert "refused connection to example.com:443" in (run_dir / "target.log").read_text()
