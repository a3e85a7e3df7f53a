"""soak's own soak: a compressed long run of the reference bot, with the RSS slope of every part of
soak (the runner with its in-process collector, the mocks, Locust, and a standalone `soak collect`
on the same target for the collector alone). Target: each under 1 MiB/h.

The shipped `soak` profile sends 20 users x 0.5 updates/s for 4 h: 144,000 updates. This run sends
the same number in 30 minutes (80 updates/s, mixed traffic), so what grows per update in soak shows
as it would over the night. It takes ~35 minutes, so `make bench` runs it only with
SOAK_BENCH_SELF_SOAK=1; `python -m benchmarks.self_soak --duration-s 600` is a shorter look.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from scipy.stats import theilslopes

from benchmarks import self_soak_mocks
from harness.analysis.model import Curve, Span
from harness.analysis.trend_checks import TrendSettings, slope_per_hour

ROOT = Path(__file__).resolve().parents[1]
SOAK = str(Path(sys.executable).parent / "soak")
NIGHT_UPDATES = 20 * 0.5 * 4 * 3600  # the shipped soak profile's updates
SAMPLE_EVERY_S = 5.0
TARGET_MIB_PER_H = 1.0
MIB = 2**20
# As soak judges a target's RSS: 1-minute window medians, a plateau shown by its later half.
JUDGE = TrendSettings(window_s=60.0, min_windows=5, alpha=0.05)


def profile_text(duration_s: float, users: int, rate_per_user: float) -> str:
    """The smoke profile's target and mocks, the soak profile's mixed traffic, compressed."""
    return f"""
[run]
name = "self-soak"
duration = {duration_s}
cooldown = "15 s"
baseline = "5 s"
interval = "1 s"

[target]
command = ["node", "src/index.js"]
cwd = "{ROOT / "examples" / "reference-bot"}"

[target.env]
LEAKS = ""

[mocks.cursor_runner]
mode = "sync+callback"
latency = "20 ms"
callback_delay = "20 ms"
max_concurrent = 64

[load]
scenario = "mixed"
users = {users}
spawn_rate = {users}
rate_per_user = {rate_per_user}
"""


@dataclass
class Part:
    """One process tree whose RSS is followed: (seconds since the load started, bytes)."""

    label: str
    pid: int
    tree: bool = False
    samples: list[tuple[float, float]] = field(default_factory=list)

    def sample(self, t_s: float) -> None:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)] if self.tree else [root]
            rss = 0.0
            for proc in procs:
                try:
                    rss += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
        except psutil.NoSuchProcess:
            return
        self.samples.append((t_s, rss))


def _wait_for(path: Path, keys: tuple[str, ...], timeout_s: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            info: dict[str, object] = json.loads(path.read_text())
            if all(key in info for key in keys):
                return info
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{path} never had {keys}")


def _run_dir(results: Path, timeout_s: float = 180) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(results.glob("self-soak-*"))
        if found:
            return found[0]
        time.sleep(0.2)
    raise RuntimeError("soak run made no run directory")


def _pid(info: dict[str, object], part: str) -> int:
    entry = info[part]
    assert isinstance(entry, dict)
    return int(entry["pid"])


def measure(duration_s: float, users: int, rate_per_user: float, work: Path) -> tuple[list[Part], Path, float]:
    """Every part's RSS samples, the run directory, and the wall-clock time samples count from."""
    profile = work / "self-soak.toml"
    profile.write_text(profile_text(duration_s, users, rate_per_user))
    run = subprocess.Popen([SOAK, "run", str(profile), "--results", str(work / "results")], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        run_dir = _run_dir(work / "results")
        info = _wait_for(run_dir / "run.json", ("mocks", "target", "locust"), 180)
    except RuntimeError:
        run.send_signal(signal.SIGINT)  # soak stops every process it started
        run.communicate(timeout=120)
        raise
    collect = subprocess.Popen([SOAK, "collect", "--pid", str(_pid(info, "target")), "--out", str(work / "collect")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    parts = [
        Part("soak run (runner + in-process collector)", run.pid),
        Part("mocks", _pid(info, "mocks")),
        Part("locust", _pid(info, "locust"), tree=True),
        Part("soak collect (collector alone)", collect.pid),
        Part("redis (not soak's code; for reference)", _pid(info, "redis")),
        Part("target (the reference bot; for reference)", _pid(info, "target"), tree=True),
    ]
    started, started_wall = time.monotonic(), time.time()
    while run.poll() is None and time.monotonic() - started < duration_s + 120:
        t_s = time.monotonic() - started
        if t_s <= duration_s:
            for part in parts:
                part.sample(t_s)
        time.sleep(SAMPLE_EVERY_S)
    collect.send_signal(signal.SIGINT)
    collect.wait(timeout=30)
    run.communicate(timeout=120)
    return parts, run_dir, started_wall


def slope_mib_per_h(samples: list[tuple[float, float]], from_s: float) -> tuple[float, float, float] | None:
    """Theil-Sen slope of RSS after from_s, with its 95 % interval, in MiB/h."""
    steady = [(t, rss) for t, rss in samples if t >= from_s]
    if len(steady) < 10:
        return None
    result = theilslopes([rss for _, rss in steady], [t for t, _ in steady], 0.95)
    per_h = 3600 / MIB
    return result.slope * per_h, result.low_slope * per_h, result.high_slope * per_h


def updates_sent(run_dir: Path) -> int:
    stats = run_dir / "locust" / "locust_stats.csv"
    for line in stats.read_text().splitlines():
        cells = line.split(",")
        if len(cells) > 3 and cells[1] == "Aggregated":
            return int(cells[2])
    return 0


def save_samples(parts: list[Part], path: Path, started_wall: float) -> None:
    """Every RSS sample, one row per part and time: the curve behind each slope (time: wall clock)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("part,t_s,time,rss_bytes\n")
        for part in parts:
            rows = (f"{part.label},{t_s:.1f},{started_wall + t_s:.1f},{rss:.0f}\n" for t_s, rss in part.samples)
            handle.writelines(rows)


def judged(part: Part, from_s: float, to_s: float) -> str:
    """The verdict soak would give this RSS curve with rss_slope_max = the target, and why."""
    t_s, rss = zip(*part.samples, strict=True)
    limit_per_s = TARGET_MIB_PER_H * MIB / 3600
    check = slope_per_hour("rss_slope", Curve(t_s, rss), Span(from_s, to_s), limit_per_s, JUDGE)
    return f"{check.status.value.upper()}: {check.detail}"


def report(parts: list[Part], run_dir: Path, duration_s: float) -> None:
    warmup_s = duration_s / 3
    sent = updates_sent(run_dir)
    print(f"soak self-soak: {duration_s / 60:.0f} min, {sent:,} updates sent ({sent / NIGHT_UPDATES:.0%} of the 4 h "
          f"soak profile's {NIGHT_UPDATES:,.0f}); RSS slope after minute {warmup_s / 60:.0f} (Theil-Sen, "
          f"{SAMPLE_EVERY_S:.0f} s samples, 95 % interval); target < {TARGET_MIB_PER_H:g} MiB/h")  # fmt: skip
    for part in parts:
        slope = slope_mib_per_h(part.samples, warmup_s)
        if slope is None or not part.samples:
            print(f"  {part.label:44} too few samples")
            continue
        mark = "" if "reference" in part.label else ("  ok" if slope[0] < TARGET_MIB_PER_H else "  OVER TARGET")
        print(f"  {part.label:44} RSS {part.samples[0][1] / MIB:7.1f} -> {part.samples[-1][1] / MIB:7.1f} MiB, "
              f"slope {slope[0]:+6.2f} MiB/h [{slope[1]:+.2f}, {slope[2]:+.2f}]{mark}")  # fmt: skip
        print(f"  {'':44} soak's verdict: {judged(part, warmup_s, duration_s)}")
    print(f"  run directory: {run_dir}")


def main(duration_s: float | None = None, users: int = 40, rate_per_user: float = 2.0) -> None:
    if duration_s is None:
        if not os.environ.get("SOAK_BENCH_SELF_SOAK"):
            print("soak self-soak: skipped (about 35 minutes; run with SOAK_BENCH_SELF_SOAK=1 make bench, or "
                  "python -m benchmarks.self_soak)")  # fmt: skip
            return
        duration_s = 1800.0
    keep = os.environ.get("SOAK_BENCH_KEEP")
    with tempfile.TemporaryDirectory(prefix="soak-self-soak-") as tmp:
        work = Path(keep) if keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        parts, run_dir, started_wall = measure(duration_s, users, rate_per_user, work)
        save_samples(parts, run_dir / "self-soak-rss.csv", started_wall)
        report(parts, run_dir, duration_s)
        print(f"  {self_soak_mocks.describe(run_dir, duration_s / 3)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration-s", type=float, default=1800.0)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rate-per-user", type=float, default=2.0)
    arguments = parser.parse_args()
    main(arguments.duration_s, arguments.users, arguments.rate_per_user)
