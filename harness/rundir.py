"""The run directory: its name, its files' names, and writing a file whole (harness/documents/ types them)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RUN_JSON = "run.json"
EVENTS = "events.jsonl"
SAMPLES = "samples.db"
VERDICT = "verdict.json"


def new_run_dir(results_dir: Path, name: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    # Absolute, because the target and its preload write here from their own working directory.
    results_dir = results_dir.resolve()
    results_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(100):
        suffix = f"-{attempt}" if attempt else ""
        path = results_dir / f"{name}-{stamp}{suffix}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a run directory under {results_dir}")


def write_text(path: Path, text: str) -> None:
    """Write then rename, so a crash never leaves half a file behind."""
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


class RunFileError(Exception):
    """A file of a run directory that is not what soak wrote; the message is one line naming it."""
