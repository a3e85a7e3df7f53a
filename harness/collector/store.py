"""The sample store: SQLite in WAL mode, one transaction per tick, a catalogue of metrics.

A SIGKILL of the writer loses at most the tick being written; readers see every committed tick.
Every PACK_TICKS ticks the writer packs the closed block into one row per metric (`packed`, keyed
by (metric_id, first_tick)), so a day at 1 Hz reads as 360 blobs per metric, not 9 million rows.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the reader loads numpy on first use: the collector process never needs it
    import numpy as np
    from numpy.typing import NDArray

    from harness.collector.store_read import Snapshot

SCHEMA_VERSION = 3
# 2 added `unavailable` (metrics a probe cannot measure here: missing, not 0); 3 added `packed`.
_READABLE_VERSIONS = frozenset({1, 2, 3})
# Ticks per packed block: 4 min at 1 Hz. A block of an every-tick metric is 1,920 bytes of values,
# so two rows fill a 4 KiB page (256 ticks would leave half of each page empty).
PACK_TICKS = 240
WRITER_CACHE_KIB = 256  # the writer's SQLite page cache (PRAGMA cache_size)

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
CREATE TABLE IF NOT EXISTS packed (
    metric_id INTEGER NOT NULL REFERENCES metrics(id), first_tick INTEGER NOT NULL, last_tick INTEGER NOT NULL,
    tick_offsets_u32le BLOB, values_f64le BLOB NOT NULL, PRIMARY KEY (metric_id, first_tick));
"""
# packed: a metric's samples of ticks first_tick..last_tick. values_f64le holds the values as
# little-endian float64; tick_offsets_u32le the ticks as offsets from first_tick (uint32), or NULL
# when the metric has a value at every tick of the block. `samples` holds the ticks not yet packed.


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


@dataclass(frozen=True, eq=False)
class Series:
    """One metric over time: seconds since the run's start, and the values then (read-only arrays)."""

    metric: Metric
    t_s: NDArray[np.float64]
    values: NDArray[np.float64]


def _little_endian(numbers: array[float] | array[int]) -> bytes:
    if sys.byteorder != "little":
        numbers.byteswap()
    return numbers.tobytes()


PackedRow = tuple[int, int, int, bytes | None, bytes]


def pack_rows(metric_id: int, ticks: Sequence[int], values: Sequence[float]) -> PackedRow:
    """One packed row from a metric's tick ids and values, in tick order."""
    first, last = ticks[0], ticks[-1]
    offsets = None if last - first + 1 == len(ticks) else _little_endian(array("I", (t - first for t in ticks)))
    return metric_id, first, last, offsets, _little_endian(array("d", values))


class _Block:
    """The samples written since the last pack, by metric: what `samples` holds, kept in memory too,
    so packing does not read 25,000 rows back from SQLite."""

    def __init__(self) -> None:
        self._by_metric: dict[int, tuple[list[int], list[float]]] = {}

    def add(self, tick_id: int, rows: Iterable[tuple[int, float]]) -> None:
        for metric_id, value in rows:
            ticks, values = self._by_metric.setdefault(metric_id, ([], []))
            ticks.append(tick_id)
            values.append(value)

    def packs(self, tick_id: int, rows: list[tuple[int, float]]) -> list[PackedRow]:
        """The block with one more tick (not yet committed), one packed row per metric."""
        last = dict(rows)
        packs = []
        for metric_id in sorted(self._by_metric.keys() | last.keys()):
            ticks, values = self._by_metric.get(metric_id, ([], []))
            if metric_id in last:
                ticks, values = [*ticks, tick_id], [*values, last[metric_id]]
            packs.append(pack_rows(metric_id, ticks, values))
        return packs

    def clear(self) -> None:
        self._by_metric.clear()


class SampleWriter:
    """Appends ticks; metrics are registered on first use."""

    def __init__(self, path: Path, pack_ticks: int = PACK_TICKS) -> None:
        self._pack_ticks = pack_ticks
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Appends touch a few pages per tick; SQLite's default 2 MiB page cache only filled over the
        # first half hour of a run, a rise in soak's own RSS. This one is full within minutes.
        self._db.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._metric_ids: dict[str, int] = {
            name: metric_id for metric_id, name in self._db.execute("SELECT id, name FROM metrics")
        }
        self._block = _Block()
        (version,) = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if version != str(SCHEMA_VERSION):
            self._pack_ticks = 0  # a store of an earlier schema is appended to in its own layout
            return
        for tick_id, metric_id, value in self._db.execute("SELECT tick_id, metric_id, value FROM samples"):
            self._block.add(tick_id, [(metric_id, value)])  # a store opened again: its unpacked tail

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
        try:
            if missing:
                self._db.executemany("INSERT OR IGNORE INTO unavailable VALUES (?, ?)", missing)
            cursor = self._db.execute(
                "INSERT INTO ticks (t_wall, t_s, lateness_s) VALUES (?, ?, ?)", (time.time(), t_s, lateness_s)
            )
            tick_id = cursor.lastrowid
            assert tick_id is not None
            self._db.executemany("INSERT INTO samples VALUES (?, ?, ?)", [(tick_id, m, v) for m, v in rows])
            packing = self._pack_ticks > 0 and tick_id % self._pack_ticks == 0
            if packing:  # the block moves to `packed` in this tick's transaction: all or nothing
                self._db.executemany("INSERT INTO packed VALUES (?, ?, ?, ?, ?)", self._block.packs(tick_id, rows))
                self._db.execute("DELETE FROM samples WHERE tick_id <= ?", (tick_id,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if packing:
            self._block.clear()
        else:
            self._block.add(tick_id, rows)

    def close(self) -> None:
        self._db.close()


class SampleReader:
    """Read-only access for analysis and reports, on one snapshot of the store.

    A damaged store is read up to the damage: what was read is returned, and damage() says where
    it stopped. Only a store whose catalogue cannot be read at all is refused (StoreError).
    """

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise StoreError(f"no sample store at {path}")
        from harness.collector.store_read import Snapshot

        try:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            self._db.execute("BEGIN")  # every read below sees the same committed ticks
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row is not None else None
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            raise StoreError(f"{path} is not a readable sample store: {exc}") from None
        if version not in _READABLE_VERSIONS:
            raise StoreError(f"{path}: unknown sample store schema {row[0] if row else None}")
        self._snapshot: Snapshot = Snapshot.open(self._db, path)

    def metrics(self) -> list[Metric]:
        return list(self._snapshot.catalogue.values())

    def tick_count(self) -> int:
        return int(self._snapshot.ticks.ids.size)

    def lateness_s(self) -> NDArray[np.float64]:
        return self._snapshot.ticks.lateness_s

    def unavailable(self) -> dict[str, str]:
        """Metric name -> why it could not be measured (empty for schema 1 stores)."""
        return self._snapshot.unavailable()

    def series(self, name: str) -> Series | None:
        return self._snapshot.series(name)

    def all_series(self) -> dict[str, Series]:
        """Every metric in the catalogue, in one pass over the unpacked samples."""
        return self._snapshot.all_series()

    def damage(self) -> list[str]:
        """Where reading stopped at a damaged page, one line each (empty for a sound store)."""
        return self._snapshot.damage()

    def close(self) -> None:
        self._db.close()
