"""Schema 2 sample stores as the writer before schema 3 made them (its DDL and statements, verbatim),
so tests can check that stores recorded by earlier versions stay readable, and benchmarks can
compare the cost of a tick."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from harness.collector.store import Metric, Missing, Value

SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, unit TEXT NOT NULL, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ticks (
    id INTEGER PRIMARY KEY, t_wall REAL NOT NULL, t_s REAL NOT NULL, lateness_s REAL NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    tick_id INTEGER NOT NULL REFERENCES ticks(id), metric_id INTEGER NOT NULL REFERENCES metrics(id),
    value REAL NOT NULL, PRIMARY KEY (tick_id, metric_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unavailable (
    metric_id INTEGER PRIMARY KEY REFERENCES metrics(id), reason TEXT NOT NULL);
"""

Tick = tuple[float, float, Mapping[Metric, Value]]


class Schema2Writer:
    """SampleWriter as it was at schema 2: one row per sample, keyed (tick_id, metric_id)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA_2)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '2')")
        self._metric_ids: dict[str, int] = {}

    def register(self, metric: Metric) -> int:
        if metric.name not in self._metric_ids:
            cursor = self._db.execute(
                "INSERT INTO metrics (name, unit, source) VALUES (?, ?, ?)", (metric.name, metric.unit, metric.source)
            )
            assert cursor.lastrowid is not None
            self._metric_ids[metric.name] = cursor.lastrowid
        return self._metric_ids[metric.name]

    def write_tick(self, t_s: float, lateness_s: float, values: Mapping[Metric, Value]) -> None:
        rows = [(self.register(m), v) for m, v in values.items() if not isinstance(v, Missing)]
        missing = [(self.register(m), v.reason) for m, v in values.items() if isinstance(v, Missing)]
        self._db.execute("BEGIN")
        if missing:
            self._db.executemany("INSERT OR IGNORE INTO unavailable VALUES (?, ?)", missing)
        cursor = self._db.execute(
            "INSERT INTO ticks (t_wall, t_s, lateness_s) VALUES (?, ?, ?)", (time.time(), t_s, lateness_s)
        )
        tick_id = cursor.lastrowid
        self._db.executemany("INSERT INTO samples VALUES (?, ?, ?)", [(tick_id, m, v) for m, v in rows])
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


def write_schema_2(path: Path, ticks: Iterable[Tick]) -> None:
    """ticks: (t_s, lateness_s, values) as SampleWriter.write_tick takes them."""
    writer = Schema2Writer(path)
    for t_s, lateness_s, values in ticks:
        writer.write_tick(t_s, lateness_s, values)
    writer.close()
