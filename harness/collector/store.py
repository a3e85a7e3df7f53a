"""The sample store: SQLite in WAL mode, one transaction per tick, a catalogue of metrics.

A SIGKILL of the writer loses at most the tick being written; readers see every committed tick.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 2
# Version 2 added `unavailable`: metrics a probe cannot measure here (recorded as missing, not 0).
_READABLE_VERSIONS = frozenset({1, 2})

_SCHEMA = """
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


class StoreError(Exception):
    """A samples.db that is missing, unreadable or of an unknown schema."""


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    source: str


@dataclass(frozen=True)
class Missing:
    """A value a probe cannot measure on this setup (e.g. CLIENT LIST on fakeredis)."""

    reason: str


Value = float | Missing


@dataclass(frozen=True)
class Series:
    """One metric over time: seconds since the run's start, and the values then."""

    metric: Metric
    t_s: tuple[float, ...]
    values: tuple[float, ...]


class SampleWriter:
    """Appends ticks; metrics are registered on first use."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._metric_ids: dict[str, int] = {
            name: metric_id for metric_id, name in self._db.execute("SELECT id, name FROM metrics")
        }

    def register(self, metric: Metric) -> int:
        if metric.name not in self._metric_ids:
            cursor = self._db.execute(
                "INSERT INTO metrics (name, unit, source) VALUES (?, ?, ?)",
                (metric.name, metric.unit, metric.source),
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


class SampleReader:
    """Read-only access for analysis and reports."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise StoreError(f"no sample store at {path}")
        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a readable sample store: {exc}") from None
        if row is None or int(row[0]) not in _READABLE_VERSIONS:
            raise StoreError(f"{path}: unknown sample store schema {row[0] if row else None}")

    def metrics(self) -> list[Metric]:
        rows = self._db.execute("SELECT name, unit, source FROM metrics ORDER BY name")
        return [Metric(*row) for row in rows]

    def tick_count(self) -> int:
        count: int = self._db.execute("SELECT COUNT(*) FROM ticks").fetchone()[0]
        return count

    def lateness_s(self) -> tuple[float, ...]:
        return tuple(row[0] for row in self._db.execute("SELECT lateness_s FROM ticks ORDER BY id"))

    def unavailable(self) -> dict[str, str]:
        """Metric name -> why it could not be measured (empty for schema 1 stores)."""
        try:
            rows = self._db.execute(
                "SELECT m.name, u.reason FROM unavailable u JOIN metrics m ON m.id = u.metric_id"
            ).fetchall()
        except sqlite3.OperationalError:
            return {}
        return dict(rows)

    def series(self, name: str) -> Series | None:
        meta = self._db.execute("SELECT id, unit, source FROM metrics WHERE name=?", (name,)).fetchone()
        if meta is None:
            return None
        rows = self._db.execute(
            "SELECT t.t_s, s.value FROM samples s JOIN ticks t ON t.id = s.tick_id WHERE s.metric_id=? ORDER BY t.t_s",
            (meta[0],),
        ).fetchall()
        return Series(
            metric=Metric(name, meta[1], meta[2]),
            t_s=tuple(row[0] for row in rows),
            values=tuple(row[1] for row in rows),
        )

    def close(self) -> None:
        self._db.close()
