"""Temp-file probe: count, bytes and age of the oldest file matching the profile's patterns."""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Sequence

from harness.collector import metrics
from harness.collector.store import Metric, Missing, Value


class TempFilesProbe:
    name = "tmp"

    def __init__(self, tmp_dir: str, patterns: Sequence[str]) -> None:
        self._tmp_dir = tmp_dir
        self._patterns = tuple(patterns)

    def sample(self) -> dict[Metric, Value]:
        counts = dict.fromkeys(self._patterns, 0)
        sizes = dict.fromkeys(self._patterns, 0)
        oldest_mtime: float | None = None
        try:
            entries = list(os.scandir(self._tmp_dir))
        except FileNotFoundError:
            reason = f"temp dir {self._tmp_dir} does not exist"
            return {m: Missing(reason) for m in (metrics.TMP_FILES, metrics.TMP_BYTES, metrics.TMP_OLDEST_AGE)}
        for entry in entries:
            pattern = next((p for p in self._patterns if fnmatch.fnmatchcase(entry.name, p)), None)
            if pattern is None:
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # deleted between the listing and the stat
            counts[pattern] += 1
            sizes[pattern] += stat.st_size
            oldest_mtime = stat.st_mtime if oldest_mtime is None else min(oldest_mtime, stat.st_mtime)
        values: dict[Metric, Value] = {
            metrics.TMP_FILES: float(sum(counts.values())),
            metrics.TMP_BYTES: float(sum(sizes.values())),
            metrics.TMP_OLDEST_AGE: 0.0 if oldest_mtime is None else max(0.0, time.time() - oldest_mtime),
        }
        for pattern in self._patterns:
            values[metrics.tmp_files_of(pattern)] = float(counts[pattern])
            values[metrics.tmp_bytes_of(pattern)] = float(sizes[pattern])
        return values
