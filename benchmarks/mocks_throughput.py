"""Throughput and latency of the Telegram mock's sendMessage (real handlers: validation, accounting,
correlation record), each server pinned to one core and the load generator to the other, against a
minimal Node http server and a bare aiohttp handler measured back to back in the same run. The mocks
serve on their own httptools server (mocks/server/), under asyncio and under uvloop; to try another
server, add a variant to _server_argv and variants().

Targets (issue 4): >= 15,000 req/s keep-alive, >= 5,000 req/s with Connection: close, p99 < 5 ms at
1,000 req/s, and >= 0.3x the Node server. The machine's 2 cores are shared, so figures are noisy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.mocks_loadgen import run_load, write_scripts
from mocks.config import MocksConfig

ROUNDS = 3
PHASE_S = 2.0
PACED_S = 4.0
PACED_RATE = 1000
SERVER_CPU, LOAD_CPU = "0", "1"
TOKEN = MocksConfig().telegram.token
SEND_PATH = f"/bot{TOKEN}/sendMessage"

BARE_AIOHTTP = r"""
import json, sys, asyncio
from aiohttp import web
REPLY = json.dumps({"ok": True, "result": {"message_id": 9001, "date": 1767000200,
    "chat": {"id": 4400123, "type": "private"}, "text": "load test message"}})
async def send(request):
    await request.read()
    return web.Response(text=REPLY, content_type="application/json")
async def main():
    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", send)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    open(sys.argv[1], "w").write(json.dumps({"telegram": f"http://127.0.0.1:{runner.addresses[0][1]}"}))
    await asyncio.Event().wait()
asyncio.run(main())
"""


@dataclass(frozen=True)
class Figures:
    keep_alive_rps: float
    close_rps: float
    paced_p99_ms: float
    errors: int
    # Requests per second of the server's own CPU time: what one core would carry if the server had
    # it to itself, so less disturbed by other work on the shared machine than wall-clock rates.
    keep_alive_per_cpu_s: float
    close_per_cpu_s: float


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_argv(variant: str, work: Path, node_server: Path, ready: Path) -> list[str]:
    pin = ["taskset", "-c", SERVER_CPU]
    if variant == "node http":
        return [*pin, "node", str(node_server), str(ready)]
    if variant == "bare aiohttp":
        script = work / "bare_aiohttp.py"
        script.write_text(BARE_AIOHTTP, encoding="utf-8")
        return [*pin, sys.executable, str(script), str(ready)]
    config = work / "mocks.json"
    config.write_text(MocksConfig(correlation_file=str(work / "calls.jsonl")).model_dump_json(), encoding="utf-8")
    loop = ["--loop", "uvloop" if "uvloop" in variant else "asyncio"]
    return [*pin, sys.executable, "-m", "mocks", "--config", str(config), "--ready-file", str(ready), *loop]


def _start(argv: list[str], ready: Path) -> tuple[subprocess.Popen[bytes], str]:
    ready.unlink(missing_ok=True)
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not ready.exists():
        if time.monotonic() > deadline or child.poll() is not None:
            child.kill()
            raise RuntimeError(f"server did not start: {' '.join(argv)}")
        time.sleep(0.05)
    time.sleep(0.1)
    url: str = json.loads(ready.read_text())["telegram"]
    return child, url


def measure(variant: str, work: Path, loadgen: Path, node_server: Path) -> Figures:
    ready = work / f"ready-{variant.replace(' ', '_')}.json"
    child, url = _start(_server_argv(variant, work, node_server, ready), ready)
    try:
        keep, close, p99, errors, keep_cpu, close_cpu = [], [], [], 0, [], []
        for _ in range(ROUNDS):
            cpu0 = _cpu_s(child.pid)
            ka = _closed(loadgen, url, "keepalive", 64)
            cpu1 = _cpu_s(child.pid)
            cl = _closed(loadgen, url, "close", 32)
            cpu2 = _cpu_s(child.pid)
            paced = run_load(
                loadgen,
                url,
                SEND_PATH,
                mode="keepalive",
                concurrency=32,
                duration_s=PACED_S,
                rate=str(PACED_RATE),
                cpu=LOAD_CPU,
            )
            keep.append(ka["done"] / PHASE_S)
            close.append(cl["done"] / PHASE_S)
            keep_cpu.append(ka["done"] / max(cpu1 - cpu0, 1e-3))
            close_cpu.append(cl["done"] / max(cpu2 - cpu1, 1e-3))
            p99.append(paced["p99_us"] / 1000.0)
            errors += sum(phase["errors"] + phase["non2xx"] for phase in (ka, cl, paced))
    finally:
        child.terminate()
        child.wait(timeout=10)
    med = statistics.median
    return Figures(med(keep), med(close), med(p99), errors, med(keep_cpu), med(close_cpu))


def _closed(loadgen: Path, url: str, mode: str, concurrency: int) -> dict[str, Any]:
    return run_load(
        loadgen, url, SEND_PATH, mode=mode, concurrency=concurrency, duration_s=PHASE_S, rate="closed", cpu=LOAD_CPU
    )


def variants() -> list[str]:
    names = ["node http", "bare aiohttp", "mocks (asyncio)"]
    if importlib.util.find_spec("uvloop") is not None:
        names += ["mocks (uvloop)"]
    return names


def main() -> None:
    print(f"mocks: sendMessage, server on CPU {SERVER_CPU}, load (node, raw sockets) on CPU {LOAD_CPU}; ")
    print(f"  medians of {ROUNDS} rounds ({PHASE_S:.0f} s closed-loop phases, {PACED_S:.0f} s at {PACED_RATE}/s);")
    print("  2 shared cores: other work on the machine makes these noisy")
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="soak-bench-mocks-") as tmp:
        work = Path(tmp)
        loadgen, node_server = write_scripts(work)
        for variant in variants():
            results[variant] = measure(variant, work, loadgen, node_server)
    _print_table(results)


def _print_table(results: dict[str, Figures]) -> None:
    node = results["node http"]
    head = f"{'ka/s':>7} {'close/s':>7} {'p99@1k ms':>9} {'ka/cpu-s':>8} {'close/cpu-s':>11} {'x node':>6}"
    print(f"  {'server':<24} {head} err")
    for name, fig in results.items():
        ratio = fig.keep_alive_rps / node.keep_alive_rps if node.keep_alive_rps else float("nan")
        rates = f"{fig.keep_alive_rps:>7,.0f} {fig.close_rps:>7,.0f} {fig.paced_p99_ms:>9.2f}"
        per_cpu = f"{fig.keep_alive_per_cpu_s:>8,.0f} {fig.close_per_cpu_s:>11,.0f}"
        print(f"  {name:<24} {rates} {per_cpu} {ratio:>6.2f} {fig.errors}")
    mocks_variants = {k: v for k, v in results.items() if k.startswith("mocks")}
    best = max(mocks_variants, key=lambda k: mocks_variants[k].keep_alive_per_cpu_s)
    fig = mocks_variants[best]
    met = fig.keep_alive_rps >= 15_000 and fig.close_rps >= 5_000 and fig.paced_p99_ms < 5.0
    met = met and fig.keep_alive_rps >= 0.3 * node.keep_alive_rps
    verdict = "met" if met else "NOT met (see the per-CPU-second columns: the machine is shared)"
    print(f"  fastest mocks server (per CPU-second): {best}; wall-clock targets: {verdict}")


if __name__ == "__main__":
    main()
