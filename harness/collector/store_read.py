"""Reading a sample store (schema 1-3) into numpy arrays, up to any damage.

SampleReader imports this on first use, so the collector process never loads numpy. Every query
runs on one read transaction; a damaged page ends that query's rows and is noted, never raised.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from harness.collector.store import Metric, Series, StoreError

BATCH_ROWS = 4_096  # rows held at a time: bounds memory on a schema 2 day (9 M rows) and a day's packed blobs
MAX_DAMAGE_NOTES = 6
ROWIDS_PER_QUERY = 5_000  # under SQLite's 32,766 bound parameters; a week at 1 Hz is 2,520 rows a metric

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Row = tuple[Any, ...]


class Damage:
    """Where reading stopped, as lines for the verdict's notes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._places: list[str] = []

    def note(self, place: str) -> None:
        if place not in self._places:
            self._places.append(place)

    @property
    def places(self) -> int:
        return len(self._places)

    def notes(self) -> list[str]:
        if not self._places:
            return []
        shown = self._places[:MAX_DAMAGE_NOTES]
        more = len(self._places) - len(shown)
        lines = [f"{self._path.name} is damaged: read up to the damage, checks judge what was read"]
        lines += [f"{self._path.name} damaged: {place}" for place in shown]
        return lines + ([f"{self._path.name} damaged: {more} more places"] if more else [])


def _batches(
    db: sqlite3.Connection, sql: str, params: Sequence[Any], on_damage: Damage, what: str
) -> Iterator[list[Row]]:
    """The query's rows a batch at a time; at a damaged page, the rows before it, then a note."""
    batch: list[Row] = []
    try:
        for row in db.execute(sql, params):  # not fetchmany: an error there loses the rows it gathered
            batch.append(row)
            if len(batch) == BATCH_ROWS:
                yield batch
                batch = []
    except sqlite3.DatabaseError as exc:
        on_damage.note(f"{what} unreadable past some point ({exc})")
    if batch:
        yield batch


def _numeric(batch: list[Row], columns: int) -> tuple[FloatArray, bool]:
    """The batch as a float array, cut before its first row that is not all finite numbers."""
    try:
        table = np.array(batch, dtype=np.float64).reshape(len(batch), columns)
    except (TypeError, ValueError):
        table = np.array([_row_or_nan(row, columns) for row in batch], dtype=np.float64).reshape(len(batch), columns)
    bad = np.flatnonzero(~np.isfinite(table).all(axis=1))
    return (table[: bad[0]], True) if bad.size else (table, False)


def _row_or_nan(row: Row, columns: int) -> list[float]:
    try:
        return [float(value) for value in row] if len(row) == columns else [np.nan] * columns
    except (TypeError, ValueError):
        return [np.nan] * columns


@dataclass(frozen=True)
class Ticks:
    """The store's ticks in id order: their ids, times since run start and lateness."""

    ids: IntArray
    t_s: FloatArray
    lateness_s: FloatArray

    def positions(self, tick_ids: IntArray) -> IntArray:
        """Index of each tick id among the ticks read; -1 where it was not read (past damage)."""
        if self.ids.size == 0:
            return np.full(tick_ids.size, -1, dtype=np.int64)
        if self.ids[-1] - self.ids[0] + 1 == self.ids.size:  # ids 1..n, as SQLite hands them out
            found = tick_ids - self.ids[0]
            return np.where((found >= 0) & (found < self.ids.size), found, -1)
        found = np.clip(np.searchsorted(self.ids, tick_ids), 0, self.ids.size - 1)
        return np.where(self.ids[found] == tick_ids, found, -1)


def read_ticks(db: sqlite3.Connection, damage: Damage) -> Ticks:
    parts: list[FloatArray] = []
    sql = "SELECT id, t_s, lateness_s FROM ticks ORDER BY id"
    for batch in _batches(db, sql, (), damage, "ticks"):
        table, cut = _numeric(batch, 3)
        parts.append(table)
        if cut:
            damage.note("ticks: a tick with unreadable fields")
            break
    table = np.concatenate(parts) if parts else np.empty((0, 3))
    ids = table[:, 0].astype(np.int64)
    # The writer never deletes a tick: ids run 1, 2, 3... and a jump is a page lost without an error.
    broken = np.flatnonzero((np.diff(ids) != 1) | (np.diff(table[:, 1]) < 0))  # times never go back either
    if broken.size:
        damage.note(f"ticks: read up to tick {ids[broken[0]]}")
        ids, table = ids[: broken[0] + 1], table[: broken[0] + 1]
    return Ticks(ids, _frozen(table[:, 1].copy()), _frozen(table[:, 2].copy()))


def _frozen(values: FloatArray) -> FloatArray:
    values.setflags(write=False)
    return values


def _float64(blob: bytes) -> FloatArray:
    """The blob's little-endian float64s; on a little-endian machine a read-only view of the bytes, no copy."""
    values = np.frombuffer(blob, dtype="<f8")
    return values if values.dtype == np.float64 else values.astype(np.float64)


def decode_packed(row: Row) -> tuple[IntArray, FloatArray] | None:
    """A packed row's tick ids and values; None when its fields do not hold together (damage)."""
    first, last, offsets_blob, values_blob = row
    if not (isinstance(first, int) and isinstance(last, int) and isinstance(values_blob, bytes)):
        return None
    if len(values_blob) % 8 or not values_blob:
        return None
    values = _float64(values_blob)
    if offsets_blob is None:
        ticks = np.arange(first, last + 1, dtype=np.int64)
    elif isinstance(offsets_blob, bytes) and len(offsets_blob) == 4 * values.size:
        ticks = first + np.frombuffer(offsets_blob, dtype="<u4").astype(np.int64)
    else:
        return None
    sound = ticks.size == values.size and ticks[-1] == last and bool(np.all(np.diff(ticks) > 0))
    return (ticks, values) if sound and bool(np.all(np.isfinite(values))) else None


def decode_blocks(rows: list[Row]) -> tuple[IntArray, FloatArray] | None:
    """Consecutive packed rows of one metric decoded at once; None if any is unsound (then decode_packed
    row by row finds where). A day is 360 rows per metric: one join and one frombuffer, not 360 of each."""
    firsts, lasts, offset_blobs, value_blobs = zip(*rows, strict=True)
    typed = all(type(n) is int for n in firsts + lasts) and all(type(b) is bytes for b in value_blobs)
    if not typed or not all(b is None or type(b) is bytes for b in offset_blobs):
        return None
    counts = np.fromiter(map(len, value_blobs), dtype=np.int64, count=len(rows))
    if np.any(counts % 8) or not np.all(counts):
        return None
    counts //= 8
    values = _float64(b"".join(value_blobs))
    starts = np.cumsum(counts) - counts
    offsets = np.arange(values.size, dtype=np.int64) - np.repeat(starts, counts)
    sparse = np.fromiter((b is not None for b in offset_blobs), dtype=bool, count=len(rows))
    if sparse.any():
        listed = [b for b in offset_blobs if b is not None]
        if sum(map(len, listed)) != 4 * int(counts[sparse].sum()):
            return None
        offsets[np.repeat(sparse, counts)] = np.frombuffer(b"".join(listed), dtype="<u4")
    ticks = np.repeat(np.asarray(firsts, dtype=np.int64), counts) + offsets
    ends_right = np.array_equal(ticks[starts + counts - 1], np.asarray(lasts, dtype=np.int64))
    sound = ends_right and bool(np.all(ticks[1:] > ticks[:-1])) and bool(np.all(np.isfinite(values)))
    return (ticks, values) if sound else None


def decode_rows(rows: list[Row]) -> tuple[list[IntArray], list[FloatArray], bool]:
    """A metric's packed rows in tick order, up to the first that does not decode; and whether one did not."""
    if not rows:
        return [], [], False
    decoded = decode_blocks(rows)
    if decoded is not None:
        return [decoded[0]], [decoded[1]], False
    ticks: list[IntArray] = []
    values: list[FloatArray] = []
    for row in rows:  # damage among the rows: keep those before it
        block = decode_packed(row)
        if block is None or (ticks and block[0][0] <= ticks[-1][-1]):
            return ticks, values, True
        ticks.append(block[0])
        values.append(block[1])
    return ticks, values, False


class Snapshot:
    """One read transaction over a store: its catalogue, its ticks, and its series on demand."""

    def __init__(self, db: sqlite3.Connection, path: Path, ids: dict[str, int], catalogue: dict[str, Metric]) -> None:
        self._db = db
        self._ids = ids
        self.catalogue = catalogue
        self._damage = Damage(path)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        self._has_packed = "packed" in tables
        self._has_unavailable = "unavailable" in tables
        self.ticks = read_ticks(db, self._damage)
        self._times: dict[tuple[int, int], tuple[IntArray, FloatArray]] = {}

    @classmethod
    def open(cls, db: sqlite3.Connection, path: Path) -> Snapshot:
        """The catalogue must be readable: without it no sample can be named (StoreError)."""
        try:
            # Sorted here, not by SQL: ORDER BY name would walk the name index, one more page to lose.
            rows = sorted(db.execute("SELECT id, name, unit, source FROM metrics").fetchall(), key=_name_of)
            ids = {row[1]: row[0] for row in rows if _catalogue_row(row)}
            catalogue = {row[1]: Metric(row[1], row[2], row[3]) for row in rows if _catalogue_row(row)}
            return cls(db, path, ids, catalogue)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is damaged where its catalogue is kept ({exc})") from None

    def damage(self) -> list[str]:
        return self._damage.notes()

    def unavailable(self) -> dict[str, str]:
        if not self._has_unavailable:
            return {}
        sql = "SELECT m.name, u.reason FROM unavailable u JOIN metrics m ON m.id = u.metric_id"
        rows = [row for batch in _batches(self._db, sql, (), self._damage, "unavailable") for row in batch]
        return {str(name): str(reason) for name, reason in rows}

    def series(self, name: str) -> Series | None:
        if name not in self._ids:
            return None
        metric_id = self._ids[name]
        rowids, broken = self._packed_rowids()
        tail = self._tail("SELECT ?, tick_id, value FROM samples WHERE metric_id=?", (metric_id, metric_id))
        return self._assemble(name, rowids.get(metric_id, []), broken, tail.get(metric_id, []))

    def all_series(self) -> dict[str, Series]:
        rowids, broken = self._packed_rowids()
        tail = self._tail("SELECT metric_id, tick_id, value FROM samples", ())
        return {name: self._assemble(name, rowids.get(i, []), broken, tail.pop(i, [])) for name, i in self._ids.items()}

    def _tail(self, sql: str, params: Sequence[Any]) -> dict[int, list[FloatArray]]:
        """Unpacked samples as (tick_id, value) arrays by metric id, in tick order (the table's key order)."""
        by_metric: dict[int, list[FloatArray]] = defaultdict(list)
        for batch in _batches(self._db, sql, params, self._damage, "samples not yet packed"):
            table, cut = _numeric(batch, 3)
            grouped = table[np.argsort(table[:, 0], kind="stable")]
            for part in np.split(grouped, np.flatnonzero(np.diff(grouped[:, 0])) + 1):
                if part.size:  # a copy, so the batch's array is not kept alive by its parts
                    by_metric[int(part[0, 0])].append(part[:, 1:].copy())
            if cut:
                self._damage.note("samples not yet packed: a row with unreadable fields")
                break
        return by_metric

    def _packed_rowids(self) -> tuple[dict[int, list[int]], bool]:
        """Which packed rows each metric has, in the order they were written, and whether the scan
        broke off at damage. Rowid order trusts no index, and a rowid missing from 1, 2, 3... is a
        page lost without an error. Only ids are read here: a metric's blobs are read when it is built,
        so a week is never held twice."""
        by_metric: dict[int, list[int]] = defaultdict(list)
        if not self._has_packed:
            return by_metric, False
        before, expected = self._damage.places, 1
        sql = "SELECT rowid, metric_id FROM packed NOT INDEXED ORDER BY rowid"
        for batch in _batches(self._db, sql, (), self._damage, "packed samples"):
            for rowid, metric_id in batch:
                if rowid != expected:
                    self._damage.note(f"packed samples: rows missing after row {expected - 1}")
                    return by_metric, True
                by_metric[metric_id].append(rowid)
                expected += 1
        return by_metric, self._damage.places > before

    def _packed_rows(self, name: str, rowids: list[int]) -> tuple[list[Row], bool]:
        """A metric's packed rows, looked up by rowid in the table itself; and whether damage cut them."""
        rows: list[Row] = []
        for start in range(0, len(rowids), ROWIDS_PER_QUERY):
            chunk = rowids[start : start + ROWIDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT first_tick, last_tick, tick_offsets_u32le, values_f64le FROM packed NOT INDEXED"
                f" WHERE rowid IN ({marks}) ORDER BY rowid"
            )
            found = [row for batch in _batches(self._db, sql, chunk, self._damage, name) for row in batch]
            rows += found
            if len(found) < len(chunk):
                return rows, True
        return rows, False

    def _assemble(self, name: str, rowids: list[int], broken: bool, tail: list[FloatArray]) -> Series:
        rows, cut = self._packed_rows(name, rowids)
        ticks, values, bad = decode_rows(rows)
        del rows  # the blobs are decoded (a view of their joined bytes): let the rows go
        damaged = broken or cut or bad
        if not damaged:  # a metric whose packed blocks broke off is read up to there, not past the gap
            ticks = ticks + [part[:, 0].astype(np.int64) for part in tail]
            values = values + [part[:, 1] for part in tail]
        tick_ids = np.concatenate(ticks) if len(ticks) > 1 else ticks[0] if ticks else np.empty(0, dtype=np.int64)
        found = np.concatenate(values) if len(values) > 1 else values[0] if values else np.empty(0)
        positions = self.ticks.positions(tick_ids)
        known = positions >= 0
        if not known.all():
            positions, found = positions[known], found[known]
        disorder = np.flatnonzero(np.diff(positions) <= 0)
        if disorder.size:
            self._damage.note(f"{name}: samples out of tick order")
            positions, found, damaged = positions[: disorder[0] + 1], found[: disorder[0] + 1], True
        if damaged:
            last = f"{self.ticks.t_s[positions[-1]]:.0f} s" if positions.size else "its start"
            self._damage.note(f"{name}: read up to {last}")
        return Series(self.catalogue[name], self._times_at(positions), _frozen(np.ascontiguousarray(found)))

    def _times_at(self, positions: IntArray) -> FloatArray:
        """Times of the given ticks; metrics sampled on the same ticks share one read-only array."""
        contiguous = positions.size and positions[-1] - positions[0] + 1 == positions.size
        if contiguous and np.all(np.diff(positions) == 1):
            return self.ticks.t_s[positions[0] : positions[-1] + 1]  # a view: no copy
        key = (positions.size, hash(positions.tobytes()))
        seen = self._times.get(key)
        if seen is None or not np.array_equal(seen[0], positions):
            seen = self._times[key] = (positions, _frozen(self.ticks.t_s[positions]))
        return seen[1]


def _name_of(row: Row) -> str:
    return str(row[1])


def _catalogue_row(row: Row) -> bool:
    return len(row) == 4 and isinstance(row[0], int) and all(isinstance(field, str) for field in row[1:])
