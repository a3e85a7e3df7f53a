"""The 64 B/update moonshot on synthetic curves: how often heap_slope finds a 64 B/update leak (at
20 updates/s) after 10-30 minutes, and how often it fails a clean curve, with the scatter of heap
after GC measured in the matrix (~125 KiB a reading), white or autocorrelated.

    python -m benchmarks.detect.moonshot
"""

from __future__ import annotations

import numpy as np

from harness.analysis.model import Curve, Span, Status
from harness.analysis.trend_checks import TrendSettings, slope_per_hour

KIB, MIB = 1024.0, 2.0**20
UPDATES_PER_S = 20.0
READING_EVERY_S = 5.0  # a forced GC every 5 s, as the matrix's FULL timing
WARMUP_S = 60.0
SCATTER_BYTES = 125 * KIB
SEEDS = 100


def _status(per_update_bytes: float, minutes: int, seed: int, phi: float) -> Status:
    rng = np.random.default_rng(seed)
    t_s = np.arange(WARMUP_S, WARMUP_S + minutes * 60, READING_EVERY_S)
    noise = np.zeros(t_s.size)
    for i in range(1, t_s.size):
        noise[i] = phi * noise[i - 1] + rng.normal(0, SCATTER_BYTES)
    heap = 13 * MIB + per_update_bytes * UPDATES_PER_S * t_s + noise
    settings = TrendSettings(10.0, 8, 0.05, floors=True)
    limit_per_s = 2 * MIB / 3600  # soak.toml's heap_slope_max
    return slope_per_hour("heap_slope", Curve(t_s, heap), Span(WARMUP_S, float(t_s[-1])), limit_per_s, settings).status


def main() -> None:
    print("moonshot: heap_slope on 64 B/update at 20 updates/s, synthetic heap after GC")
    for phi in (0.0, 0.5):
        for minutes in (10, 15, 20, 30):
            found = sum(_status(64.0, minutes, seed, phi) is Status.FAIL for seed in range(SEEDS))
            wolves = sum(_status(0.0, minutes, seed, phi) is Status.FAIL for seed in range(SEEDS))
            print(
                f"  lag-1 correlation {phi:.1f}, {minutes:2d} min: found {found}/{SEEDS}, clean failed {wolves}/{SEEDS}"
            )


if __name__ == "__main__":
    main()
