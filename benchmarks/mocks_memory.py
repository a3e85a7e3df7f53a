"""Memory of the mocks process under a steady 1,000 sendMessage/s (accounting and correlation
records on): RSS sampled every few seconds, with its slope after a warm-up. `make bench` runs a
short version; the 10-minute figure comes from `python -m benchmarks.mocks_memory --duration-s 600`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.mocks_loadgen import run_load, write_scripts
from mocks.config import MocksConfig

RATE = 1000
SAMPLE_EVERY_S = 5.0
WARMUP_SHARE = 0.2
SEND_PATH = f"/bot{MocksConfig().telegram.token}/sendMessage"


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def slope_bytes_per_min(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS over time."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_r = sum(r for _, r in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (r - mean_r) for t, r in samples)
    return cov / var * 60.0 if var else 0.0


def measure(duration_s: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="soak-bench-mem-") as tmp:
        work = Path(tmp)
        loadgen, _ = write_scripts(work)
        config, ready = work / "mocks.json", work / "ready.json"
        config.write_text(MocksConfig(correlation_file=str(work / "calls.jsonl")).model_dump_json())
        argv = [sys.executable, "-m", "mocks", "--config", str(config), "--ready-file", str(ready)]
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            url = json.loads(ready.read_text())["telegram"]
            return _run(child.pid, loadgen, url, duration_s)
        finally:
            child.terminate()
            child.wait(timeout=10)


def _run(pid: int, loadgen: Path, url: str, duration_s: float) -> dict[str, float]:
    result: dict[str, object] = {}

    def load() -> None:
        result.update(
            run_load(
                loadgen,
                url,
                SEND_PATH,
                mode="keepalive",
                concurrency=32,
                duration_s=duration_s,
                rate=str(RATE),
                cpu="0-1",
            )
        )

    before = rss_bytes(pid)
    thread = threading.Thread(target=load)
    started = time.monotonic()
    thread.start()
    samples: list[tuple[float, int]] = []
    while thread.is_alive():
        samples.append((time.monotonic() - started, rss_bytes(pid)))
        thread.join(timeout=SAMPLE_EVERY_S)
    steady = [s for s in samples if s[0] >= WARMUP_SHARE * duration_s]
    done = float(result.get("done", 0))  # type: ignore[arg-type]
    return {
        "requests": done,
        "rss_idle_mib": before / 2**20,
        "rss_after_warmup_mib": steady[0][1] / 2**20 if steady else float("nan"),
        "rss_end_mib": samples[-1][1] / 2**20,
        "rss_peak_mib": max(r for _, r in samples) / 2**20,
        "slope_kib_per_min": slope_bytes_per_min(steady) / 1024,
    }


def main(duration_s: float = 30.0) -> None:
    figures = measure(duration_s)
    print(f"mocks memory: {RATE} sendMessage/s for {duration_s:.0f} s ({figures['requests']:,.0f} requests)")
    print(
        f"  RSS idle {figures['rss_idle_mib']:.1f} MiB, after warm-up {figures['rss_after_warmup_mib']:.1f} MiB, "
        f"end {figures['rss_end_mib']:.1f} MiB, peak {figures['rss_peak_mib']:.1f} MiB; "
        f"slope after warm-up {figures['slope_kib_per_min']:+.1f} KiB/min"
    )
    if duration_s < 300:
        print("  (a short run's slope is mostly allocator warm-up; judge the 10-minute run: --duration-s 600)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration-s", type=float, default=30.0)
    main(parser.parse_args().duration_s)
