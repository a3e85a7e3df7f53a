from pathlib import Path

import pytest

from harness.collector.store import Metric, SampleReader, SampleWriter, StoreError

RSS = Metric("target.rss_bytes", "bytes", "process")
FDS = Metric("target.fds", "count", "process")


def test_round_trip_and_catalogue(tmp_path: Path) -> None:
    writer = SampleWriter(tmp_path / "s.db")
    writer.write_tick(1.0, 0.0, {RSS: 100.0, FDS: 3.0})
    writer.write_tick(2.0, 0.01, {RSS: 110.0})
    reader = SampleReader(tmp_path / "s.db")
    assert reader.tick_count() == 2
    assert reader.series("target.rss_bytes").values == (100.0, 110.0)  # type: ignore[union-attr]
    assert reader.series("target.fds").t_s == (1.0,)  # type: ignore[union-attr]
    assert {m.name for m in reader.metrics()} == {RSS.name, FDS.name}
    assert reader.series("missing") is None
    writer.close()


def test_reader_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no sample store"):
        SampleReader(tmp_path / "none.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError):
        SampleReader(junk)


def test_missing_values_are_catalogued_not_stored_as_zero(tmp_path: Path) -> None:
    from harness.collector.store import Missing

    clients = Metric("redis.connected_clients", "count", "redis")
    writer = SampleWriter(tmp_path / "s.db")
    writer.write_tick(1.0, 0.002, {RSS: 100.0, clients: Missing("INFO unsupported")})
    writer.write_tick(2.0, 0.004, {RSS: 101.0, clients: Missing("INFO unsupported")})
    writer.close()
    reader = SampleReader(tmp_path / "s.db")
    assert reader.unavailable() == {"redis.connected_clients": "INFO unsupported"}
    assert reader.series(clients.name).values == ()  # type: ignore[union-attr]
    assert reader.lateness_s() == (0.002, 0.004)


def test_schema_1_stores_stay_readable_and_unknown_versions_are_refused(tmp_path: Path) -> None:
    import sqlite3

    writer = SampleWriter(tmp_path / "s.db")
    writer.write_tick(1.0, 0.0, {RSS: 100.0})
    writer.close()
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute("DROP TABLE unavailable")
    db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    db.commit()
    reader = SampleReader(tmp_path / "s.db")
    assert reader.series(RSS.name).values == (100.0,)  # type: ignore[union-attr]
    assert reader.unavailable() == {}
    reader.close()
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="unknown sample store schema 99"):
        SampleReader(tmp_path / "s.db")
