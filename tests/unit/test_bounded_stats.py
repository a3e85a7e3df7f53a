"""Locust's per-second counts and chart history stay bounded over a long run, and the figures soak
reads from its CSV output (current and total rates, percentiles, counts) do not change.

Locust monkey-patches the process it is imported in, so the checks run in a child Python process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW_S = 1_800_000_000

# An hour of per-second counts and chart points on real Locust stats objects, trimmed twice.
SCRIPT = r"""
import json
import sys
from locust.stats import RequestStats
from scenarios.bounded_stats import HISTORY_POINTS, KEEP_S, trim

NOW = int(sys.argv[1])
stats = RequestStats()
for second in range(NOW - 3600, NOW + 1):
    for entry in (stats.get("text", "POST"), stats.get("voice", "POST"), stats.total):
        count = 3 + second % 5
        entry.num_reqs_per_sec[second] += count
        entry.response_times[10 + second % 40] += count
        entry.num_requests += count
        if second % 7 == 0:
            entry.num_fail_per_sec[second] += 1
            entry.num_failures += 1
    stats.history.append({"time": str(second)})
for entry in (*stats.entries.values(), stats.total):
    entry.start_time = NOW - 3600
    entry.min_response_time, entry.max_response_time = 10, 49
    entry.last_request_timestamp = NOW + 0.5
stats.total.last_request_timestamp = NOW + 0.5


def figures():
    return {
        f"{entry.name}": [entry.current_rps, entry.current_fail_per_sec, entry.total_rps, entry.num_requests,
                          entry.num_failures, entry.median_response_time, entry.get_response_time_percentile(0.95)]
        for entry in (*stats.entries.values(), stats.total)
    }


def sizes():
    entries = (*stats.entries.values(), stats.total)
    return max(len(e.num_reqs_per_sec) for e in entries), max(len(e.num_fail_per_sec) for e in entries)


before_figures, before_sizes = figures(), sizes()
dropped = trim(stats, NOW + 1)
again = trim(stats, NOW + 1)
print(json.dumps({"before": before_figures, "after": figures(), "sizes_before": before_sizes, "sizes_after": sizes(),
                  "dropped": dropped, "dropped_again": again, "history": len(stats.history),
                  "keep_s": KEEP_S, "history_points": HISTORY_POINTS}))
"""


def _run() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(NOW_S)], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_trim_bounds_per_second_counts_and_history_without_changing_what_soak_reads() -> None:
    result = _run()
    keep_s = result["keep_s"]
    assert isinstance(keep_s, int)
    assert result["sizes_before"] == [3601, 515]
    # The last KEEP_S seconds are kept: what current_rps reads, and a margin.
    failing_seconds_kept = sum(1 for second in range(NOW_S + 1 - keep_s, NOW_S + 1) if second % 7 == 0)
    assert result["sizes_after"] == [keep_s, failing_seconds_kept]
    assert result["dropped"] == 3 * (3601 - keep_s) + 3 * (515 - failing_seconds_kept)
    assert result["dropped_again"] == 0
    assert result["history"] == result["history_points"]
    assert result["after"] == result["before"]
    current_rps, current_fail_per_s, _, _, _, median_ms, p95_ms = result["after"]["Aggregated"]  # type: ignore[index]
    assert current_rps > 0 and current_fail_per_s > 0 and 10 <= median_ms <= p95_ms  # computed, not zeros
