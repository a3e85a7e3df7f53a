"""Whole runs of the reference bot through the `soak` command, as a user starts them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import shipped_profile_text

ROOT = Path(__file__).resolve().parents[2]
SOAK = [str(Path(sys.executable).parent / "soak")]


def soak(*args: str, timeout_s: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SOAK, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)


def run_dir_of(result: subprocess.CompletedProcess[str]) -> Path:
    line = next(line for line in result.stdout.splitlines() if line.startswith("results: "))
    return ROOT / line.removeprefix("results: ")


def started_pids(run_dir: Path) -> list[int]:
    info = json.loads((run_dir / "run.json").read_text())
    return [info[part]["pid"] for part in ("redis", "mocks", "target", "locust", "watchdog") if part in info]


def assert_all_gone(pids: list[int]) -> None:
    for pid in pids:
        alive = psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        assert not alive, f"pid {pid} still running"


def smoke_run_under_load(
    results: Path, profile: Path = ROOT / "profiles/smoke.toml"
) -> tuple[subprocess.Popen[str], Path]:
    """A smoke run (or a profile named "smoke") started in the background, a few seconds into its load."""
    proc = subprocess.Popen(
        [*SOAK, "run", str(profile), "--results", str(results)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # The run dir is made before its run.json is first written (atomically, so never half).
        infos = [path for path in results.glob("smoke-*/run.json") if path.is_file()]
        if infos and "locust" in json.loads(infos[0].read_text()):
            dirs = [infos[0].parent]
            time.sleep(3)
            return proc, dirs[0]
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("run never reached the load phase")


def test_healthy_bot_passes_and_leaves_a_complete_run_dir(
    reference_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    result = reference_runs["clean"]  # smoke.toml for 40 s (tests/e2e/conftest.py)
    assert result.returncode == 0, result.stdout + result.stderr
    run_dir = run_dir_of(result)
    for name in ("run.json", "samples.db", "verdict.json", "junit.xml", "summary.md", "report.html", "events.jsonl"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "locust").glob("*_stats_history.csv"))
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["schema_version"] == 2 and verdict["status"] == "pass"
    assert {check["name"] for check in verdict["checks"]} >= {"rss_per_request", "fds_growth", "target_alive"}
    info = json.loads((run_dir / "run.json").read_text())
    assert info["outcome"] == "completed" and info["redis"]["backend"] in {"redis-server", "fakeredis"}
    assert_all_gone(started_pids(run_dir))

    again = soak("report", str(run_dir))
    assert again.returncode == 0 and "PASS" in again.stdout


def test_heap_leak_fails_naming_the_check(reference_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = reference_runs["leak"]  # leak-heap.toml for 40 s (tests/e2e/conftest.py)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL         rss_per_request" in result.stdout
    verdict = json.loads((run_dir_of(result) / "verdict.json").read_text())
    failed = {check["name"] for check in verdict["checks"] if check["status"] == "fail"}
    assert "rss_per_request" in failed


def test_kept_buffers_fail_on_external_memory_while_the_heap_stays_flat(tmp_path: Path) -> None:
    # Issue 11: every downloaded voice file kept in a Buffer grew external memory in a straight line
    # while heap-after-GC stayed flat and RSS grew by less than its per-update limit.
    result = soak("run", "profiles/leak-buffer.toml", "--duration", "40 s", "--results", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    verdict = json.loads((run_dir_of(result) / "verdict.json").read_text())
    status = {check["name"]: check["status"] for check in verdict["checks"]}
    assert status["external_per_request"] == "fail", result.stdout
    assert status["heap_per_request"] == "pass", result.stdout
    assert status["rss_per_request"] == "pass", result.stdout


def test_fakeredis_fallback_carries_the_text_flow(tmp_path: Path) -> None:
    profile = tmp_path / "fake.toml"
    text = shipped_profile_text("smoke.toml").replace('backend = "auto"', 'backend = "fakeredis"')
    profile.write_text(text)
    result = soak("run", str(profile), "--duration", "15 s", "--results", str(tmp_path))
    run_dir = run_dir_of(result)
    info = json.loads((run_dir / "run.json").read_text())
    assert info["redis"]["backend"] == "fakeredis"
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["status"] in {"pass", "inconclusive"}, result.stdout
    # Every forwarded prompt came back by callback and was answered with sendMessage.
    from harness.collector.store import SampleReader

    reader = SampleReader(run_dir / "samples.db")
    replies = reader.series("mocks.telegram.requests_total")
    forwards = reader.series("mocks.cursor_runner.requests_total")
    assert replies is not None and forwards is not None
    assert forwards.values[-1] > 50
    assert replies.values[-1] >= 0.95 * forwards.values[-1]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_every_process_and_keeps_the_data(tmp_path: Path, sig: signal.Signals) -> None:
    proc, run_dir = smoke_run_under_load(tmp_path)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert_all_gone(started_pids(run_dir))
    assert json.loads((run_dir / "run.json").read_text())["outcome"] == "interrupted"
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["status"] in {"pass", "fail", "inconclusive"}
    assert verdict["partial"]["cause"] == sig.name and verdict["partial"]["state"] == "interrupted"
    for name in ("summary.md", "report.html"):
        assert (
            f"partial: stopped at {verdict['partial']['stopped_at_s']:.0f} s by {sig.name}"
            in (run_dir / name).read_text()
        )
    assert not (run_dir / "private").exists() and not (run_dir / "pids").exists()
    report = soak("report", str(run_dir))
    assert report.returncode in (0, 1, 3) and "verdict:" in report.stdout


def test_mocks_dying_mid_run_stops_it_with_exit_2_and_keeps_the_data(tmp_path: Path) -> None:
    proc, run_dir = smoke_run_under_load(tmp_path)
    os.kill(json.loads((run_dir / "run.json").read_text())["mocks"]["pid"], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert "mocks exited with code -9 mid-run" in stderr and "Traceback" not in stderr
    assert_all_gone(started_pids(run_dir))
    assert json.loads((run_dir / "run.json").read_text())["outcome"] == "error"
    assert "partial: stopped at" in (run_dir / "summary.md").read_text()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "helper_exit" and e["process"] == "mocks" for e in events)
    report = soak("report", str(run_dir))
    assert report.returncode in (0, 1, 3) and "verdict:" in report.stdout


def test_bad_profile_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[target]\ncommand = ["node"]\n[run]\nduration = "soon"\n')
    result = soak("run", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "run.duration" in result.stderr
    missing = soak("report", str(tmp_path))
    assert missing.returncode == 2 and "not a run directory" in missing.stderr
    assert os.listdir(tmp_path) == ["bad.toml"]


def test_heap_snapshots_name_the_culprit_on_the_failing_memory_check(tmp_path: Path) -> None:
    # The heap leak profile with snapshots on; its latency limit is left out, as a snapshot's
    # pause lands on the requests in flight (the notes give each pause).
    text = shipped_profile_text("leak-heap.toml")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("latency_p95_max"))
    profile = tmp_path / "leak-heap-snapshots.toml"
    profile.write_text(text)  # it has a [collector] table already: a second one is invalid TOML
    result = soak(
        "run", str(profile), "--duration", "40 s", "--results", str(tmp_path), "--set", "collector.heap_snapshots=ends"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    # heap:N keeps JS strings (external:N keeps Buffers): the snapshot names them "(string)".
    assert "heap growth: (string):" in result.stdout and "the target was paused" in result.stderr
    run_dir = run_dir_of(result)
    assert len(list((run_dir / "heap-snapshots").glob("*.heapsnapshot"))) == 2
    verdict = json.loads((run_dir / "verdict.json").read_text())
    failing = next(check for check in verdict["checks"] if check["name"] == "rss_per_request")
    assert failing["status"] == "fail"
    top = failing["heap_growth"]["growers"][0]
    assert top["kind"] == "(string)" and top["new_roots"] > 100 and top["retained_bytes"] > 100 * 512 * 1024
    # One string per update; 1,000 per 1,000 updates on a quiet machine, 376 and 474 seen with three
    # test runs loading the machine (the figure divides by updates sent between the snapshots).
    assert top["per_1000_updates"] > 200 and top["paths"][0]["kinds"][-1] == "(string)"
    assert all("heap_growth" not in check for check in verdict["checks"] if check["status"] == "pass")
    assert "## Heap growth between snapshots" in (run_dir / "summary.md").read_text()
    assert "retainer paths" in (run_dir / "report.html").read_text()
    # Judged again from the stored run: the diff kept beside the snapshots gives the same figures.
    again = soak("report", str(run_dir))
    assert again.returncode == 1 and "heap growth: (string):" in again.stdout
    assert json.loads((run_dir / "verdict.json").read_text())["heap_growth"] == verdict["heap_growth"]


def test_heap_snapshots_name_leaked_redis_clients_and_sockets(tmp_path: Path) -> None:
    # Both switches at once, every update: a new ioredis client per update, and a new agent pair
    # per upstream request kept in a plain object. At a few updates a second, the run stays far
    # from the fd limit and each kind still gets well past the noise floor (100 roots).
    text = shipped_profile_text("leak-socket.toml").replace('LEAKS = "socket:0.05"', 'LEAKS = "socket:1,redis:1"')
    text = text.replace("users = 10", "users = 4")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("latency_p95_max"))
    profile = tmp_path / "leak-redis-socket.toml"
    profile.write_text(text)
    result = soak(
        "run", str(profile), "--duration", "40 s", "--results", str(tmp_path), "--set", "collector.heap_snapshots=ends"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    run_dir = run_dir_of(result)
    growers = json.loads((run_dir / "verdict.json").read_text())["heap_growth"]["growers"]
    named = {(g["kind"], g["holder"]) for g in growers[:4]}
    # ioredis's clients, which V8 calls EventEmitter, by their class; the plain objects holding
    # the agents by the sockets they keep open (TLS to Telegram, plain to cursor-runner: two lines).
    assert ("Redis", "") in named, growers
    assert {("Socket", "Object"), ("TLSSocket", "Object")} & named, growers
    assert "EventEmitter" not in {g["kind"] for g in growers}
    summary = (run_dir / "summary.md").read_text()
    assert "`Redis`" in summary and "Socket (in Object)`" in summary, summary
