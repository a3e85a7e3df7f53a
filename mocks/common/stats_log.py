"""Every interval, one line of all the mocks' stats appended to the run's mocks.jsonl."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from mocks.common.app import MockApp


def write_line(path: Path, apps: dict[str, MockApp], t0_monotonic: float) -> None:
    line = {
        "t_s": round(time.monotonic() - t0_monotonic, 3),
        "time": time.time(),
        **{name: app.state.snapshot() for name, app in apps.items()},
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, separators=(",", ":")) + "\n")


async def log_stats(path: Path, apps: dict[str, MockApp], t0_monotonic: float, interval_s: float) -> None:
    """Runs until cancelled; the caller writes a last line after stopping it."""
    while True:
        await asyncio.sleep(interval_s)
        write_line(path, apps, t0_monotonic)
