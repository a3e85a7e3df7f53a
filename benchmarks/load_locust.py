"""Webhook updates per second that soak's Locust load reaches: one Locust process, a master with two
local workers, and wrk's ceiling on the same service in the same run; against the reference bot
(with its mocks and Redis) and against a trivial Node http server. The Locust users are soak's own
text scenario with every update recorded (updates.jsonl), as in a run, sending without waiting.

Target (issue 14): one Locust process >= 0.12x wrk against the trivial server. CPU seconds per
1,000 updates of each process tell which one bounds the reference bot. The machine's 2 cores are
shared with everything else running here: figures are medians of ROUNDS, ratios within a round.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.mocks_loadgen import write_scripts
from harness.mocks_launcher import start_mocks
from harness.procs import free_port, start_child, wait_until
from harness.redis_backend import start_redis
from harness.target import health_ok
from mocks.config import CursorRunnerConfig, MocksConfig
from scenarios.settings import ENV, LoadSettings
from scenarios.shape_math import ShapeSpec

ROOT = Path(__file__).resolve().parent.parent
BOT_DIR = ROOT / "examples" / "reference-bot"
ROUNDS = 3
SETTLE_S = 2.0  # the start of a phase (users spawning, connections opening) is not counted
MEASURE_S = 6.0
USERS = 40
WRK_CONNECTIONS = 40
SECRET = "bench-secret"
WEBHOOK = "/telegram/webhook"
UPDATE = {"update_id": 1, "message": {"message_id": 1, "date": 1767000000, "chat": {"id": 4400123, "type": "private"},
                                      "text": "List failing tests on main"}}  # fmt: skip
WRK_LUA = f"""
wrk.method = "POST"
wrk.body = '{json.dumps(UPDATE)}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "{SECRET}"
"""


@dataclass(frozen=True)
class Phase:
    updates_per_s: float
    cpu_s_per_1000: dict[str, float]  # process -> CPU seconds per 1,000 updates


class CpuMeter:
    """CPU seconds of named process trees between start() and stop()."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self._before: dict[str, float] = {}

    def _cpu_s(self, pid: int) -> float:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0.0
        total = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def start(self) -> None:
        self._before = {name: self._cpu_s(pid) for name, pid in self.roots.items()}

    def stop(self) -> dict[str, float]:
        return {name: self._cpu_s(pid) - self._before.get(name, 0.0) for name, pid in self.roots.items()}


def _settings(duration_s: float) -> str:
    shape = ShapeSpec("steady", users=USERS, duration_s=duration_s, spawn_rate=float(USERS))
    return LoadSettings(shape=shape, webhook_secret=SECRET, rate_per_user=1e6).to_json()


def _locust_argv(locustfiles: str, url: str, role: list[str]) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", locustfiles, "--host", url, *role]


def run_locust(url: str, work: Path, workers: int, meter_roots: dict[str, int]) -> Phase:
    """Locust sending as fast as it can; the rate from the updates it recorded in MEASURE_S, once
    its users have been sending for SETTLE_S."""
    updates = work / f"updates-{workers}-{time.monotonic_ns()}.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOAK_UPDATES_FILE=str(updates))
    env[ENV] = _settings(SETTLE_S + MEASURE_S + 2.0)
    files = f"{ROOT / 'scenarios' / 'text.py'},{ROOT / 'scenarios' / 'entry.py'}"
    main_role = ["--headless", "--only-summary", "--stop-timeout", "2"]
    port = free_port()
    if workers:
        main_role += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                      "--expect-workers", str(workers)]  # fmt: skip
    children = [start_child("locust", _locust_argv(files, url, main_role), env=env, log_path=work / "locust.log")]
    for _ in range(workers):
        role = ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        children.append(start_child("worker", _locust_argv(files, url, role), env=env, log_path=work / "worker.log"))
    try:
        wait_until(lambda: updates.exists() and updates.stat().st_size > 0, children[0], 60.0, "the first updates")
        time.sleep(SETTLE_S)
        workers_cpu = {f"worker{i}": child.pid for i, child in enumerate(children[1:])}
        meter = CpuMeter(meter_roots | {"locust": children[0].pid} | workers_cpu)
        meter.start()
        started = time.time()
        time.sleep(MEASURE_S)
        cpu_s = meter.stop()
        ended = time.time()
        wait_until(lambda: children[0].exit_code() is not None, children[0], 60.0, "locust to stop")
    finally:
        for child in children:
            child.stop()
    sent = sum(1 for line in updates.read_text().splitlines() if started <= json.loads(line)["t"] < ended)
    updates.unlink()
    return _phase(sent, ended - started, cpu_s)


def _phase(sent: int, seconds: float, cpu_s: dict[str, float]) -> Phase:
    workers = sum(v for k, v in cpu_s.items() if k.startswith("worker"))
    cpu = {k: v for k, v in cpu_s.items() if not k.startswith("worker")}
    if workers:
        cpu["locust workers"] = workers
    per_1000 = {name: 1000 * seconds_used / max(1, sent) for name, seconds_used in cpu.items()}
    return Phase(sent / seconds, per_1000)


def run_wrk(url: str, work: Path, meter_roots: dict[str, int]) -> Phase | None:
    if shutil.which("wrk") is None:
        return None
    script = work / "post.lua"
    script.write_text(WRK_LUA, encoding="utf-8")
    argv = ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{MEASURE_S:.0f}s", "-s", str(script), url + WEBHOOK]
    meter = CpuMeter(meter_roots)
    meter.start()
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=MEASURE_S + 30, check=True)
    seconds = time.monotonic() - started
    cpu_s = meter.stop()
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        return None
    return _phase(round(float(found.group(1)) * seconds), seconds, cpu_s)


@contextmanager
def reference_bot(work: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """The reference bot with its mocks (cursor-runner in sync mode, no latency) and Redis."""
    redis = start_redis("auto", work, work / "redis.log")
    port = free_port()
    config = MocksConfig(cursor_runner=CursorRunnerConfig(mode="sync", latency=0.0, max_concurrent=1024))
    mocks = start_mocks(config.model_dump_json(), work)
    env = dict(os.environ)
    env.update(
        {
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "NODE_ENV": "production",
            "TELEGRAM_BOT_TOKEN": config.telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "ELEVENLABS_API_KEY": config.elevenlabs.api_key,
            "TMPDIR": str(work),
            "TELEGRAM_API_BASE": mocks.urls["telegram"],
            "ELEVENLABS_API_BASE": mocks.urls["elevenlabs"],
            "CURSOR_RUNNER_URL": mocks.urls["cursor_runner"],
            "REDIS_URL": redis.url,
        }
    )
    bot = start_child("reference-bot", ["node", "src/index.js"], env=env, cwd=BOT_DIR, log_path=work / "bot.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: health_ok(url + "/health"), bot, 20.0, "health")
        yield url, {"bot": bot.pid, "mocks": mocks.child.pid, "redis": redis.child.pid}
    finally:
        for child in (bot, mocks.child, redis.child):
            child.stop()


@contextmanager
def trivial_server(work: Path) -> Iterator[tuple[str, dict[str, int]]]:
    _, server_js = write_scripts(work)
    ready = work / "trivial.json"
    server = start_child("node-http", ["node", str(server_js), str(ready)], log_path=work / "trivial.log")
    try:
        wait_until(ready.exists, server, 10.0, "the trivial server")
        yield json.loads(ready.read_text())["telegram"], {"server": server.pid}
    finally:
        server.stop()


def _median(phases: list[Phase]) -> Phase:
    rate = statistics.median(p.updates_per_s for p in phases)
    names = phases[0].cpu_s_per_1000
    return Phase(rate, {name: statistics.median(p.cpu_s_per_1000.get(name, 0.0) for p in phases) for name in names})


def _cpu_text(phase: Phase) -> str:
    return ", ".join(f"{name} {value:.2f}" for name, value in phase.cpu_s_per_1000.items())


def measure(target: str) -> dict[str, Phase | None]:
    rounds: dict[str, list[Phase]] = {"locust-1": [], "locust-2": [], "wrk": []}
    with tempfile.TemporaryDirectory(prefix="soak-bench-load-") as tmp:
        work = Path(tmp)
        serve = reference_bot if target == "reference bot" else trivial_server
        with serve(work) as (url, roots):
            for _ in range(ROUNDS):
                rounds["locust-1"].append(run_locust(url, work, 0, roots))
                if target == "reference bot":
                    rounds["locust-2"].append(run_locust(url, work, 2, roots))
                wrk = run_wrk(url, work, roots)
                if wrk is not None:
                    rounds["wrk"].append(wrk)
    return {name: _median(phases) if phases else None for name, phases in rounds.items()}


def main() -> None:
    print(f"\nload: webhook updates/s, {USERS} Locust users sending without waiting, wrk -c{WRK_CONNECTIONS}; "
          f"medians of {ROUNDS} rounds of {MEASURE_S:.0f} s (CPU s per 1,000 updates); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    for target in ("trivial Node http server", "reference bot"):
        figures = measure(target)
        for name, phase in figures.items():
            if phase is not None:
                print(f"  {target:26} {name:9} {phase.updates_per_s:8.0f} updates/s   cpu: {_cpu_text(phase)}")
        one, wrk = figures["locust-1"], figures["wrk"]
        if one is not None and wrk is not None and wrk.updates_per_s > 0:
            print(f"  {target:26} one Locust process / wrk = {one.updates_per_s / wrk.updates_per_s:.2f}x")


if __name__ == "__main__":
    main()
