"""Keeps Locust's own bookkeeping bounded over a night: it never forgets a second of its per-second
request and failure counts, nor a point of its chart history, which soak's CSV output does not need.

The CSV files soak reads are unaffected: their current rates look at the last 12 seconds only
(StatsEntry.current_rps), totals and percentiles come from running sums and bucketed histograms.
The web UI's and --html report's charts (stats.history, one point per 5 s) keep their last
HISTORY_POINTS. Every Locust process trims its own (a master the counts its workers send in).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.stats import RequestStats

# current_rps and current_fail_per_sec read the seconds from 12 to 2 before the last request; the
# margin covers workers whose clocks lag the master's.
KEEP_S = 120
TRIM_EVERY_S = 10.0
HISTORY_POINTS = 360  # 30 min of chart at Locust's 5 s history interval


def trim(stats: RequestStats, now_s: float) -> int:
    """Drop per-second counts older than KEEP_S and history past HISTORY_POINTS; return keys dropped."""
    cutoff_s = int(now_s) - KEEP_S
    dropped = 0
    for entry in (*stats.entries.values(), stats.total):
        for per_second in (entry.num_reqs_per_sec, entry.num_fail_per_sec):
            old = [second for second in per_second if second < cutoff_s]
            for second in old:
                del per_second[second]
            dropped += len(old)
    if len(stats.history) > HISTORY_POINTS:
        del stats.history[:-HISTORY_POINTS]
    return dropped


def _trim_forever(environment: Environment) -> None:
    while True:
        gevent.sleep(TRIM_EVERY_S)
        trim(environment.stats, time.time())


@functools.cache  # one trimmer per process, however many scenarios call it
def keep_stats_bounded() -> None:
    """Called by scenarios/entry.py (every locustfile): trims this Locust process's stats every TRIM_EVERY_S."""

    @events.init.add_listener
    def _start(environment: Environment, **_kwargs: Any) -> None:
        gevent.spawn(_trim_forever, environment)
