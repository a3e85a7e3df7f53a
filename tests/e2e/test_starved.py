"""A target starved of CPU by a quota (as in a container) while the machine is quiet: its late work
is inconclusive, with the wait that explains it, not a failure of the service."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cpu_quota_group, shipped_profile_text

ROOT = Path(__file__).resolve().parents[2]
SOAK = str(Path(sys.executable).parent / "soak")
JOIN_AFTER_S = 10  # healthy through start-up and health, then held to a tenth of a CPU


def test_a_target_held_to_a_tenth_of_a_cpu_is_inconclusive_on_its_timing_not_failed(tmp_path: Path) -> None:
    group = cpu_quota_group(f"soak-starved-{os.getpid()}", share=0.1)
    if group is None:
        pytest.skip("no writable cgroup cpu controller here")
    # The shell joins the group after start-up, then becomes node (`exec` keeps its pid: $$).
    joins = f"(sleep {JOIN_AFTER_S}; echo $$ > {group / 'cgroup.procs'}) & exec node src/index.js"
    text = shipped_profile_text("smoke.toml").replace(
        'command = ["node", "src/index.js"]', f'command = ["sh", "-c", "{joins}"]'
    )
    profile = tmp_path / "starved.toml"
    profile.write_text(text)
    try:
        result = subprocess.run(
            [SOAK, "run", str(profile), "--duration", "35 s", "--results", str(tmp_path), "--view", "plain"],
            cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        throttled = _throttled_periods(group)
    finally:
        with contextlib.suppress(OSError):
            group.rmdir()
    if throttled == 0:  # the target never joined the group (a nested container may refuse it)
        pytest.skip("the CPU quota never throttled the target here")
    run_dir = ROOT / next(line for line in result.stdout.splitlines() if line.startswith("results: ")).removeprefix(
        "results: "
    )
    checks = {check["name"]: check for check in json.loads((run_dir / "verdict.json").read_text())["checks"]}
    e2e = checks["e2e_latency_p95.text"]
    # Measured: p95 7.5 s against the 2 s limit, the loop waiting 0.90 s per second, running 0.06.
    assert e2e["status"] == "inconclusive", e2e
    assert "main thread waited for a CPU" in e2e["detail"], e2e
    failing = {name: check["detail"] for name, check in checks.items() if check["status"] == "fail"}
    assert result.returncode == 3 and not failing, (result.returncode, failing, result.stderr[-2000:])
    # What the service holds is judged as ever.
    assert checks["fds_growth"]["status"] == "pass" and checks["rss_max"]["status"] == "pass"


def _throttled_periods(group: Path) -> int:
    """How many of the group's quota periods ran out (cgroup v1 and v2 both say nr_throttled)."""
    with contextlib.suppress(OSError, ValueError):
        for line in (group / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "nr_throttled":
                return int(value)
    return 0
