"""Starting the mocks process for a run and reading back the URLs it serves on."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.masking import write_private
from harness.procs import Child, HarnessError, start_child, wait_until
from harness.rundir import EVENTS
from mocks.config import MocksConfig

# One compact JSON line per upstream request (and per callback sent), for attributing calls to updates.
UPSTREAM_CALLS = "upstream-calls.jsonl"
# Every mock's /__mock__/stats, one line per interval, written by the mocks process itself.
MOCKS_STATS = "mocks.jsonl"


@dataclass(frozen=True)
class MocksHandle:
    urls: dict[str, str]
    child: Child

    @property
    def admin_urls(self) -> dict[str, str]:
        """One plain-HTTP base URL per upstream (telegram, elevenlabs, cursor_runner): for stats and faults."""
        return {name: url for name, url in self.urls.items() if not name.endswith("_tls")}


def with_run_files(config_json: str, run_dir: Path, t0_monotonic: float | None) -> str:
    """Point the mocks at the run's correlation file, events log and mocks.jsonl unless the config does."""
    config = MocksConfig.model_validate_json(config_json)
    update: dict[str, object] = {}
    if config.correlation_file is None:
        update["correlation_file"] = str(run_dir / UPSTREAM_CALLS)
    if config.events_file is None:
        update["events_file"] = str(run_dir / EVENTS)
    if config.stats_file is None:
        update["stats_file"] = str(run_dir / MOCKS_STATS)
    if config.t0_monotonic is None:
        update["t0_monotonic"] = t0_monotonic if t0_monotonic is not None else time.monotonic()
    return config.model_copy(update=update).model_dump_json()


def start_mocks(
    config_json: str, run_dir: Path, timeout_s: float = 20.0, t0_monotonic: float | None = None
) -> MocksHandle:
    """Start the mocks; t0_monotonic (the run's start) is what fault windows and event times count from."""
    # It holds the bot token, the API key and the callback secret: private, and gone once read.
    config_path = run_dir / "mocks-config.json"
    write_private(config_path, with_run_files(config_json, run_dir, t0_monotonic))
    ready_file = run_dir / "mocks-ready.json"
    argv = [sys.executable, "-m", "mocks", "--config", str(config_path), "--ready-file", str(ready_file)]
    try:
        child = start_child("mocks", argv, log_path=run_dir / "mocks.log")
        try:
            wait_until(ready_file.exists, child, timeout_s, "serving")
        except HarnessError:
            child.stop()
            raise
    finally:
        config_path.unlink(missing_ok=True)  # the mocks read it before they announce themselves
    urls: dict[str, str] = json.loads(ready_file.read_text(encoding="utf-8"))
    return MocksHandle(urls=urls, child=child)
