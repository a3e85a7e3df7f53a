import ctypes
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from harness.collector.store import Metric, Missing, SampleReader, SampleWriter, StoreError
from tests.unit.legacy_store import Tick, write_schema_2

RSS = Metric("target.rss_bytes", "bytes", "process")
FDS = Metric("target.fds", "count", "process")
HEAP = Metric("node.heap_used_bytes", "bytes", "node")  # a slow probe: every third tick
LATE = Metric("locust.rss_bytes", "bytes", "self")  # appears once Locust starts
CLIENTS = Metric("redis.connected_clients", "count", "redis")


def recorded_ticks(count: int) -> list[Tick]:
    """Ticks as a run records them: every-tick, sparse, late and unmeasurable metrics."""
    ticks: list[Tick] = []
    for tick in range(count):
        values: dict[Metric, float | Missing] = {RSS: 1e8 + tick * 4096.5, FDS: float(20 + tick % 3)}
        if tick % 3 == 0:
            values[HEAP] = 5e7 + tick
        if tick >= 40:
            values[LATE] = 3e7 - tick
        values[CLIENTS] = Missing("CLIENT LIST unsupported")
        ticks.append((0.5 + tick * 1.001, tick / 1e4, values))
    return ticks


def write_schema_3(path: Path, ticks: list[Tick], pack_ticks: int) -> None:
    writer = SampleWriter(path, pack_ticks=pack_ticks)
    for t_s, lateness_s, values in ticks:
        writer.write_tick(t_s, lateness_s, values)
    writer.close()


def expected(ticks: list[Tick], metric: Metric) -> tuple[list[float], list[float]]:
    pairs = [(t_s, v) for t_s, _, values in ticks if isinstance(v := values.get(metric), float)]
    return [t for t, _ in pairs], [v for _, v in pairs]


def test_round_trip_and_catalogue(tmp_path: Path) -> None:
    writer = SampleWriter(tmp_path / "s.db")
    writer.write_tick(1.0, 0.0, {RSS: 100.0, FDS: 3.0})
    writer.write_tick(2.0, 0.01, {RSS: 110.0})
    reader = SampleReader(tmp_path / "s.db")
    assert reader.tick_count() == 2
    assert reader.series("target.rss_bytes").values.tolist() == [100.0, 110.0]  # type: ignore[union-attr]
    assert reader.series("target.fds").t_s.tolist() == [1.0]  # type: ignore[union-attr]
    assert {m.name for m in reader.metrics()} == {RSS.name, FDS.name}
    assert reader.series("missing") is None
    assert reader.damage() == []
    writer.close()


@pytest.mark.parametrize("pack_ticks", [1, 7, 64, 1000])
def test_packed_blocks_read_back_exactly_what_was_written(tmp_path: Path, pack_ticks: int) -> None:
    ticks = recorded_ticks(150)
    write_schema_3(tmp_path / "s.db", ticks, pack_ticks)
    db = sqlite3.connect(tmp_path / "s.db")
    packed, unpacked = (db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("packed", "samples"))
    db.close()
    assert unpacked <= 4 * (150 % pack_ticks)  # only the ticks after the last full block stay unpacked
    assert (packed > 0) == (pack_ticks <= 150)
    reader = SampleReader(tmp_path / "s.db")
    every = reader.all_series()
    for metric in (RSS, FDS, HEAP, LATE):
        t_s, values = expected(ticks, metric)
        for series in (every[metric.name], reader.series(metric.name)):
            assert series is not None and series.metric == metric
            assert series.t_s.tolist() == t_s and series.values.tolist() == values  # bit for bit
    assert every[CLIENTS.name].values.size == 0
    assert reader.unavailable() == {CLIENTS.name: "CLIENT LIST unsupported"}
    assert reader.lateness_s().tolist() == [lateness for _, lateness, _ in ticks]
    assert reader.damage() == []


def test_schema_2_stores_read_the_same_as_schema_3(tmp_path: Path) -> None:
    ticks = recorded_ticks(300)
    write_schema_2(tmp_path / "v2.db", ticks)
    write_schema_3(tmp_path / "v3.db", ticks, pack_ticks=64)
    old, new = SampleReader(tmp_path / "v2.db").all_series(), SampleReader(tmp_path / "v3.db").all_series()
    assert old.keys() == new.keys() == {RSS.name, FDS.name, HEAP.name, LATE.name, CLIENTS.name}
    for name, series in new.items():
        assert np.array_equal(old[name].t_s, series.t_s) and np.array_equal(old[name].values, series.values)
    assert SampleReader(tmp_path / "v2.db").unavailable() == {CLIENTS.name: "CLIENT LIST unsupported"}


def test_metrics_sampled_on_the_same_ticks_share_one_time_array(tmp_path: Path) -> None:
    write_schema_3(tmp_path / "s.db", recorded_ticks(200), pack_ticks=16)
    every = SampleReader(tmp_path / "s.db").all_series()
    assert np.shares_memory(every[RSS.name].t_s, every[FDS.name].t_s)
    assert not every[RSS.name].values.flags.writeable and not every[RSS.name].t_s.flags.writeable
    assert every[HEAP.name].t_s.size == 67 and not np.shares_memory(every[HEAP.name].t_s, every[RSS.name].t_s)


def test_a_reader_sees_one_snapshot_while_the_writer_packs(tmp_path: Path) -> None:
    ticks = recorded_ticks(100)
    writer = SampleWriter(tmp_path / "s.db", pack_ticks=8)
    for t_s, lateness_s, values in ticks[:50]:
        writer.write_tick(t_s, lateness_s, values)
    reader = SampleReader(tmp_path / "s.db")
    for t_s, lateness_s, values in ticks[50:]:  # packs ticks the reader has not read yet
        writer.write_tick(t_s, lateness_s, values)
    series = reader.all_series()[RSS.name]
    assert series.values.tolist() == expected(ticks[:50], RSS)[1]
    writer.close()


def test_a_store_opened_again_packs_its_unpacked_tail_with_the_new_ticks(tmp_path: Path) -> None:
    ticks = recorded_ticks(200)
    write_schema_3(tmp_path / "s.db", ticks[:100], pack_ticks=64)  # ticks 65-100 left unpacked
    write_schema_3(tmp_path / "s.db", ticks[100:], pack_ticks=64)
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT MIN(tick_id), MAX(tick_id) FROM samples").fetchone() == (193, 200)
    assert db.execute("SELECT MAX(last_tick) FROM packed").fetchone()[0] == 192
    db.close()
    every = SampleReader(tmp_path / "s.db").all_series()
    for metric in (RSS, HEAP, LATE):
        assert every[metric.name].t_s.tolist() == expected(ticks, metric)[0]
        assert every[metric.name].values.tolist() == expected(ticks, metric)[1]


def test_a_schema_2_store_appended_to_keeps_its_layout(tmp_path: Path) -> None:
    ticks = recorded_ticks(60)
    write_schema_2(tmp_path / "s.db", ticks[:30])
    write_schema_3(tmp_path / "s.db", ticks[30:], pack_ticks=8)
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT COUNT(*) FROM packed").fetchone()[0] == 0
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"
    db.close()
    series = SampleReader(tmp_path / "s.db").series(RSS.name)
    assert series is not None and series.values.tolist() == expected(ticks, RSS)[1]


def test_a_failed_tick_is_rolled_back_and_the_next_one_written(tmp_path: Path) -> None:
    writer = SampleWriter(tmp_path / "s.db", pack_ticks=2)
    writer.write_tick(1.0, 0.0, {RSS: 1.0})
    with pytest.raises(sqlite3.IntegrityError):
        writer.write_tick(2.0, 0.0, {RSS: float("nan")})  # SQLite stores NaN as NULL: NOT NULL refuses it
    writer.write_tick(3.0, 0.0, {RSS: 3.0})
    writer.close()
    series = SampleReader(tmp_path / "s.db").series(RSS.name)
    assert series is not None and series.t_s.tolist() == [1.0, 3.0] and series.values.tolist() == [1.0, 3.0]


def test_reader_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no sample store"):
        SampleReader(tmp_path / "none.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError):
        SampleReader(junk)


def test_missing_values_are_catalogued_not_stored_as_zero(tmp_path: Path) -> None:
    writer = SampleWriter(tmp_path / "s.db")
    writer.write_tick(1.0, 0.002, {RSS: 100.0, CLIENTS: Missing("INFO unsupported")})
    writer.write_tick(2.0, 0.004, {RSS: 101.0, CLIENTS: Missing("INFO unsupported")})
    writer.close()
    reader = SampleReader(tmp_path / "s.db")
    assert reader.unavailable() == {"redis.connected_clients": "INFO unsupported"}
    assert reader.series(CLIENTS.name).values.size == 0  # type: ignore[union-attr]
    assert reader.lateness_s().tolist() == [0.002, 0.004]


def test_schema_1_stores_stay_readable_and_unknown_versions_are_refused(tmp_path: Path) -> None:
    write_schema_2(tmp_path / "s.db", [(1.0, 0.0, {RSS: 100.0})])
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute("DROP TABLE unavailable")
    db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    db.commit()
    reader = SampleReader(tmp_path / "s.db")
    assert reader.series(RSS.name).values.tolist() == [100.0]  # type: ignore[union-attr]
    assert reader.unavailable() == {}
    reader.close()
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="unknown sample store schema 99"):
        SampleReader(tmp_path / "s.db")


def _sqlite_memory_used() -> Callable[[], int] | None:
    """sqlite3_memory_used() of the SQLite library this Python links, where it is a shared one."""
    maps = Path("/proc/self/maps")
    found = (
        [line.split()[-1] for line in maps.read_text().splitlines() if "libsqlite3" in line] if maps.exists() else []
    )
    if not found:
        return None
    used = ctypes.CDLL(found[0]).sqlite3_memory_used
    used.restype = ctypes.c_int64
    return lambda: int(used())


def test_writer_memory_stays_bounded_as_the_store_grows(tmp_path: Path) -> None:
    # SQLite's default page cache grows with the store up to 2 MiB: over the first half hour of a
    # run, a rise in soak's own RSS. The writer's stays under a fraction of that.
    memory_used = _sqlite_memory_used()
    if memory_used is None:
        pytest.skip("SQLite is not a shared library here")
    before = memory_used()
    writer = SampleWriter(tmp_path / "samples.db")
    metrics = [Metric(f"m.{index}", "count", "process") for index in range(150)]
    for tick in range(1500):
        writer.write_tick(float(tick), 0.0, {metric: float(tick % 97 + i) for i, metric in enumerate(metrics)})
    held = memory_used() - before
    writer.close()
    assert (tmp_path / "samples.db").stat().st_size > 2 * 2**20  # the default cache would fill up
    assert held < 2**20
