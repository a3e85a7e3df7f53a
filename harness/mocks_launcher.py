"""Starting the mocks process for a run and reading back the URLs it serves on."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.procs import Child, HarnessError, start_child, wait_until


@dataclass(frozen=True)
class MocksHandle:
    urls: dict[str, str]
    child: Child


def start_mocks(config_json: str, run_dir: Path, timeout_s: float = 20.0) -> MocksHandle:
    config_path = run_dir / "mocks-config.json"
    config_path.write_text(config_json, encoding="utf-8")
    ready_file = run_dir / "mocks-ready.json"
    argv = [sys.executable, "-m", "mocks", "--config", str(config_path), "--ready-file", str(ready_file)]
    child = start_child("mocks", argv, log_path=run_dir / "mocks.log")
    try:
        wait_until(ready_file.exists, child, timeout_s, "serving")
    except HarnessError:
        child.stop()
        raise
    urls: dict[str, str] = json.loads(ready_file.read_text(encoding="utf-8"))
    return MocksHandle(urls=urls, child=child)
