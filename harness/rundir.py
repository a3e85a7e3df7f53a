"""The run directory: its name, run.json, and the events log appended as things happen."""

from __future__ import annotations

import json
import math
import os
import time
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


class EventLog:
    """Appends one JSON line per event and flushes it at once."""

    def __init__(self, run_dir: Path, t0: float) -> None:
        self._path = run_dir / EVENTS
        self._t0 = t0

    def emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, "t_s": round(time.monotonic() - self._t0, 3), "time": time.time(), **fields}
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class RunFileError(Exception):
    """A file of a run directory that is not what soak wrote; the message is one line naming it."""


def _checked_event(record: Any, where: str) -> dict[str, Any]:
    """The fields every reader relies on have their types; other fields are each reader's business."""
    if not isinstance(record, dict):
        raise RunFileError(f"{where}: not a JSON object but {type(record).__name__}")
    if not isinstance(record.get("event"), str):
        raise RunFileError(f"{where}: field 'event' must be a string")
    for field in ("t_s", "time"):
        value = record.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise RunFileError(f"{where}: field {field!r} must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise RunFileError(f"{where}: field {field!r} must be a finite number")
    return record


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """Every event; a line that does not parse (cut by a kill mid-write) is skipped, a line that
    parses but is not an event is a RunFileError."""
    path = run_dir / EVENTS
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        events.append(_checked_event(record, f"{path} line {number}"))
    return events


def _t_s(event: dict[str, Any]) -> float | None:
    value = event.get("t_s")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def events_until(events: list[dict[str, Any]], cutoff_s: float) -> list[dict[str, Any]]:
    """Events up to cutoff_s (those without a time are kept: they say nothing about when)."""
    return [event for event in events if (t_s := _t_s(event)) is None or t_s <= cutoff_s]
