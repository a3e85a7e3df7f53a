"""Schema 2 sample stores as the writer before schema 3 made them (its DDL and inserts, verbatim),
so tests can check that stores recorded by earlier versions stay readable."""

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


def write_schema_2(path: Path, ticks: Iterable[Tick]) -> None:
    """ticks: (t_s, lateness_s, values) as SampleWriter.write_tick takes them."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA_2)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '2')")
    ids: dict[str, int] = {}

    def register(metric: Metric) -> int:
        if metric.name not in ids:
            cursor = db.execute(
                "INSERT INTO metrics (name, unit, source) VALUES (?, ?, ?)", (metric.name, metric.unit, metric.source)
            )
            assert cursor.lastrowid is not None
            ids[metric.name] = cursor.lastrowid
        return ids[metric.name]

    for t_s, lateness_s, values in ticks:
        rows = [(register(m), v) for m, v in values.items() if not isinstance(v, Missing)]
        missing = [(register(m), v.reason) for m, v in values.items() if isinstance(v, Missing)]
        db.execute("BEGIN")
        if missing:
            db.executemany("INSERT OR IGNORE INTO unavailable VALUES (?, ?)", missing)
        tick_id = db.execute(
            "INSERT INTO ticks (t_wall, t_s, lateness_s) VALUES (?, ?, ?)", (time.time(), t_s, lateness_s)
        ).lastrowid
        db.executemany("INSERT INTO samples VALUES (?, ?, ?)", [(tick_id, m, v) for m, v in rows])
        db.execute("COMMIT")
    db.close()
