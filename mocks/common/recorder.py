"""Append-only JSONL outputs of the mocks: correlation records (buffered) and run events."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

# Past this many buffered lines a record flushes at once, so a stalled flusher cannot grow memory.
MAX_BUFFERED_LINES = 10_000


class CorrelationLog:
    """One compact line per upstream request, written in batches (flush() runs on a timer)."""

    def __init__(self, path: Path | None, max_records: int = 5_000_000) -> None:
        self._path = path
        self._max_records = max_records
        self._records: list[dict[str, Any]] = []
        self.written = 0
        self.dropped = 0  # past max_records: counted, not written, so the file stays bounded

    @property
    def enabled(self) -> bool:
        return self._path is not None

    def add(self, record: dict[str, Any]) -> None:
        if self._path is None:
            return
        if self.written + len(self._records) >= self._max_records:
            self.dropped += 1
            return
        # Serialised at flush time, off the request path.
        self._records.append(record)
        if len(self._records) >= MAX_BUFFERED_LINES:
            self.flush()

    def flush(self) -> None:
        if self._path is None or not self._records:
            return
        records, self._records = self._records, []
        dumps = json.JSONEncoder(separators=(",", ":")).encode
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(map(dumps, records)) + "\n")
        self.written += len(records)


class EventWriter:
    """Writes events in the harness's events.jsonl shape; t_s counts from the run's start."""

    def __init__(self, path: Path | None, t0_monotonic: float) -> None:
        self._path = path
        self.t0_monotonic = t0_monotonic

    def emit(self, event: str, **fields: Any) -> None:
        if self._path is None:
            return
        record = {"event": event, "t_s": round(time.monotonic() - self.t0_monotonic, 3), "time": time.time()}
        # One write call per line in append mode, so lines from the harness never interleave.
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({**record, **fields}) + "\n")
