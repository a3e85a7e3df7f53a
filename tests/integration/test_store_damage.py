"""A damaged samples.db is read up to the damage and says so; only a store whose catalogue is
unreadable is refused, in one line. Every page of a small store is damaged in turn."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.collector.store import SampleReader, Series, StoreError
from harness.evaluate import judge_run
from tests.unit.legacy_store import write_schema_2
from tests.unit.test_store import recorded_ticks, write_schema_3

PAGE = 4096
# Pages whose loss leaves no sample nameable: the schema, the version and the metrics catalogue.
CATALOGUE_TABLES = {"sqlite_schema", "sqlite_master", "meta", "sqlite_autoindex_meta_1", "metrics"}
PATTERNS = ("zeros", "random", "bit flips")


def page_owners(path: Path) -> dict[int, str]:
    """Page number (0-based) -> the table or index it belongs to."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT name, pageno FROM dbstat").fetchall()
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table to tell which table a page holds")
    finally:
        db.close()
    return {pageno - 1: name for name, pageno in rows}


def damaged(data: bytes, page: int, pattern: str) -> bytes:
    bad = bytearray(data)
    rng = random.Random(page)
    start = page * PAGE
    if pattern == "zeros":
        bad[start : start + PAGE] = bytes(PAGE)
    elif pattern == "random":
        bad[start : start + PAGE] = rng.randbytes(PAGE)
    else:
        for _ in range(16):
            bad[start + rng.randrange(PAGE)] ^= 0xFF
    return bytes(bad)


def read_everything(path: Path) -> tuple[dict[str, Series], list[str]]:
    reader = SampleReader(path)
    try:
        every = reader.all_series()
        reader.lateness_s()
        reader.unavailable()
        return every, reader.damage()
    finally:
        reader.close()


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stores")
    ticks = recorded_ticks(2000)
    write_schema_3(folder / "v3.db", ticks, pack_ticks=64)
    write_schema_2(folder / "v2.db", ticks[:800])
    return {"schema 3": folder / "v3.db", "schema 2": folder / "v2.db"}


@pytest.mark.parametrize("schema", ["schema 3", "schema 2"])
def test_every_damaged_page_is_read_up_to_the_damage_or_refused_in_one_line(
    stores: dict[str, Path], schema: str, tmp_path: Path
) -> None:
    sound = stores[schema]
    truth, notes = read_everything(sound)
    assert notes == []
    data, owners = sound.read_bytes(), page_owners(sound)
    seen = {"refused": 0, "read with damage noted": 0}
    for page in range(len(data) // PAGE):
        for pattern in PATTERNS:
            copy = tmp_path / "copy.db"
            copy.write_bytes(damaged(data, page, pattern))
            where = f"page {page} ({owners.get(page, 'free')}), {pattern}"
            try:
                every, notes = read_everything(copy)
            except StoreError as exc:
                assert "\n" not in str(exc) and owners.get(page) in CATALOGUE_TABLES, where
                seen["refused"] += 1
                continue
            lost = False
            for name, series in truth.items():
                got = every.get(name)
                assert got is not None, where  # the catalogue was read: every metric is there
                count = got.t_s.size
                assert count <= series.t_s.size, where
                # Read up to the damage: what came back is what was written (flipped bits inside a
                # value or a time go unseen: SQLite keeps no checksum).
                if pattern != "bit flips":
                    assert np.array_equal(got.t_s, series.t_s[:count]), where
                    assert np.array_equal(got.values, series.values[:count]), where
                lost |= count < series.t_s.size
            if lost:
                assert notes and "damaged" in notes[0], where
                seen["read with damage noted"] += 1
    assert seen["read with damage noted"] > seen["refused"] > 0  # most damage hits samples, and is survived


def make_run(folder: Path) -> Path:
    from benchmarks.synthetic_run import build_run

    run_dir = folder / "run"
    build_run(run_dir, duration_s=1200.0)
    return run_dir


def soak_report(run_dir: Path) -> subprocess.CompletedProcess[str]:
    soak = str(Path(sys.executable).parent / "soak")
    return subprocess.run([soak, "report", str(run_dir)], capture_output=True, text=True, timeout=120, check=False)


def test_a_run_with_damaged_samples_is_judged_with_a_note(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    store = run_dir / "samples.db"
    sound = judge_run(run_dir)
    owners = page_owners(store)
    packed_pages = sorted(page for page, name in owners.items() if name == "packed")
    store.write_bytes(damaged(store.read_bytes(), packed_pages[len(packed_pages) // 2], "zeros"))
    result = soak_report(run_dir)
    assert result.returncode in {0, 1, 3}, result.stdout + result.stderr  # a verdict, not an error
    document = json.loads((run_dir / "verdict.json").read_text())
    assert document["notes"][0].startswith("samples.db is damaged: read up to the damage")
    assert any(note.endswith(" s") and "read up to" in note for note in document["notes"][1:])
    # Checks on curves cut before the judged span drop out; none appears that the sound store did not give.
    assert len(document["checks"]) > 0 and {c["name"] for c in document["checks"]} <= {c.name for c in sound.checks}


def test_soak_report_on_an_unreadable_catalogue_fails_in_one_line(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    store = run_dir / "samples.db"
    owners = page_owners(store)
    catalogue_page = next(page for page, name in owners.items() if name == "metrics")
    store.write_bytes(damaged(store.read_bytes(), catalogue_page, "zeros"))
    result = soak_report(run_dir)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "catalogue" in result.stderr and "internal error" not in result.stderr
