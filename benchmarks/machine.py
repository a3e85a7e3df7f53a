"""The machine's state beside a benchmark's figures: on a shared machine, timings mean little without it."""

from __future__ import annotations

import os


def load_line() -> str:
    """'load average 9.7 / 8.9 / 5.4 (1, 5, 15 min) on 2 cores'."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1, 5, 15 min) on {os.cpu_count()} cores"
