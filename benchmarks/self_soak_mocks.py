"""The mocks' RSS in a self-soak run, set against their open connections: what follows the target's
connection count (memory of live TLS connections, back when they close) from what grows with time.

`python -m benchmarks.self_soak_mocks RUN_DIR` reads a kept run (SOAK_BENCH_KEEP): its
self-soak-rss.csv and the mocks' own mocks.jsonl, both with wall-clock times.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

MIB = 2**20
MINUTE_S = 60.0
UPSTREAMS = ("telegram", "elevenlabs", "cursor_runner")


def open_connections(mocks_jsonl: Path) -> list[tuple[float, int]]:
    """(wall time, connections open at every mock together) from each line of mocks.jsonl."""
    found = []
    for line in mocks_jsonl.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        found.append((float(row["time"]), sum(int(row[name]["connections"]["open"]) for name in UPSTREAMS)))
    return found


def mocks_rss(csv: Path) -> list[tuple[float, float]]:
    """(wall time, bytes) of the mocks' RSS samples in self-soak-rss.csv."""
    rows = csv.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    at = {name: index for index, name in enumerate(header)}
    samples = []
    for row in rows[1:]:
        cells = row.split(",")
        if cells[at["part"]] == "mocks":
            samples.append((float(cells[at["time"]]), float(cells[at["rss_bytes"]])))
    return samples


def by_minute(series: list[tuple[float, float]], start: float) -> dict[int, float]:
    minutes: dict[int, list[float]] = defaultdict(list)
    for when, value in series:
        minutes[int((when - start) // MINUTE_S)].append(value)
    return {minute: statistics.median(values) for minute, values in minutes.items()}


def fit(rss: list[tuple[float, float]], conns: list[tuple[float, int]], from_s: float) -> dict[str, float] | None:
    """Least squares of the 1-minute RSS medians on time alone, and on time and open connections."""
    start = rss[0][0]
    rss_min = by_minute(rss, start)
    conn_min = by_minute([(when, float(n)) for when, n in conns], start)
    minutes = [m for m in sorted(rss_min) if m in conn_min and m * MINUTE_S >= from_s]
    if len(minutes) < 5:
        return None
    y = np.array([rss_min[m] for m in minutes]) / MIB
    hours = np.array(minutes) * MINUTE_S / 3600
    opened = np.array([conn_min[m] for m in minutes])
    alone, *_ = np.linalg.lstsq(np.c_[np.ones_like(hours), hours], y, rcond=None)
    both, *_ = np.linalg.lstsq(np.c_[np.ones_like(hours), hours, opened], y, rcond=None)
    return {"slope_mib_per_h": float(alone[1]), "slope_beside_connections_mib_per_h": float(both[1]),
            "kib_per_open_connection": float(both[2]) * 1024, "minutes": float(len(minutes))}  # fmt: skip


def describe(run_dir: Path, from_s: float) -> str:
    rss = mocks_rss(run_dir / "self-soak-rss.csv")
    figures = fit(rss, open_connections(run_dir / "mocks.jsonl"), from_s) if rss else None
    if figures is None:
        return "mocks against their open connections: too few minutes"
    return (f"mocks' 1-min RSS medians after minute {from_s / 60:.0f}: {figures['slope_mib_per_h']:+.2f} MiB/h on time "
            f"alone; {figures['slope_beside_connections_mib_per_h']:+.2f} MiB/h beside open connections "
            f"({figures['kib_per_open_connection']:.0f} KiB each, {figures['minutes']:.0f} minutes)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--from-s", type=float, default=600.0, help="the warm-up left out")
    arguments = parser.parse_args()
    print(describe(arguments.run_dir, arguments.from_s))
