"""The snapshot diff on hand-made heaps: the kind at the root of the growth is named, with its
path; churn, V8's own structures and what code holds are not growth."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.heapsnap.diff import Noise, diff_files, heap_growth
from harness.heapsnap.snapshot import load_earlier, load_snapshot
from tests.unit.snapshot_files import SnapshotFile

OLD_TIMERS = 3


def heap(*, timers: int, buffers: int, parsers: tuple[int, ...], constants: int) -> SnapshotFile:
    """A service's heap; ids stay put for objects that lived on, new objects get ids from 1000."""
    snap = SnapshotFile()
    next_id = iter(range(1001, 10**6, 2))
    glob = snap.node("object", "global / ", 3)
    snap.edge(0, glob, "global", "shortcut")
    roots = snap.node("synthetic", "(GC roots)", 5, 0)
    snap.edge(0, roots, 1, "element")
    # An old array of timers: its elements store is reallocated as it grows (new, V8's own).
    timer_list = snap.node("object", "Array", 7)
    snap.edge(glob, timer_list, "timers")
    store = snap.node("array", "(object elements)", 9 if timers <= OLD_TIMERS else next(next_id))
    snap.edge(timer_list, store, "elements", "internal")
    for i in range(timers):
        timer = snap.node("object", "Timeout", 11 + 2 * i if i < OLD_TIMERS else next(next_id), 120)
        snap.edge(store, timer, i, "element")
    # An old Map whose table (V8's) holds new Buffers, each with its ArrayBuffer and backing store.
    cache = snap.node("object", "Map", 101)
    snap.edge(glob, cache, "cache")
    table = snap.node("array", "(table)", 103 if buffers == 0 else next(next_id))
    snap.edge(cache, table, "table", "internal")
    for i in range(buffers):
        buffer = snap.node("object", "Buffer", next(next_id), 96)
        snap.edge(table, buffer, i, "element")
        backing = snap.node("object", "ArrayBuffer", next(next_id), 88)
        snap.edge(buffer, backing, "buffer")
        data = snap.node("native", "system / JSArrayBufferData", next(next_id), 4096)
        snap.edge(backing, data, "backing_store", "internal")
    # A pool: its parsers are replaced by new ones (churn), never more of them.
    pool = snap.node("object", "FreeList", 201)
    snap.edge(roots, pool, 0, "element")
    for parser_id in parsers:
        snap.edge(pool, snap.node("object", "HTTPParser", parser_id, 400), parser_id, "element")
    # Code compiled late holds its string constants: V8's, not the program's.
    fn = snap.node("closure", "handler", 301, 56)
    snap.edge(glob, fn, "handler")
    code = snap.node("code", "(code)", 303 if constants == 0 else next(next_id), 2000)
    snap.edge(fn, code, "code", "internal")
    for _ in range(constants):
        snap.edge(code, snap.node("string", "a literal", next(next_id), 40), "constant", "internal")
    return snap


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    before = heap(timers=OLD_TIMERS, buffers=0, parsers=(401, 403), constants=0)
    after = heap(timers=OLD_TIMERS + 150, buffers=120, parsers=(501, 503), constants=400)
    return before.write(tmp_path / "a.heapsnapshot"), after.write(tmp_path / "b.heapsnapshot")


def test_the_roots_of_the_growth_are_named_with_what_they_hold(two: tuple[Path, Path]) -> None:
    growth = diff_files(*two)
    by_kind = {grower.kind: grower for grower in growth.growers}
    assert set(by_kind) == {"Timeout", "Buffer"}
    # Most bytes first: each Buffer holds its 4 KiB backing store.
    assert [g.kind for g in growth.growers] == ["Buffer", "Timeout"]
    buffer = by_kind["Buffer"]
    assert buffer.new_roots == 120 and buffer.objects_before == 0 and buffer.objects_after == 120
    assert buffer.retained_bytes == 120 * (96 + 88 + 4096)
    assert set(buffer.carries) == {"system / JSArrayBufferData", "ArrayBuffer"}
    timeout = by_kind["Timeout"]
    assert timeout.new_roots == 150 and timeout.objects_added == 150
    assert timeout.paths[0].kinds == ("global / ", "Array", "(object elements)", "Timeout")


def test_a_rate_per_update_and_a_noise_floor_from_the_work_done(two: tuple[Path, Path]) -> None:
    earlier = load_earlier(two[0])
    later = load_snapshot(two[1], earlier)
    growth = heap_growth(earlier, later, updates=150)
    timeout = next(g for g in growth.growers if g.kind == "Timeout")
    assert growth.per_thousand_updates(timeout) == pytest.approx(1000.0)
    # 5,000 updates for 150 timers is 30 per 1,000: under a floor of 40 per 1,000, and their
    # 18 KiB are under the bytes floor, so only the buffers (500 KiB) remain.
    strict = heap_growth(earlier, later, updates=5000, noise=Noise(roots_per_thousand=40.0))
    assert [g.kind for g in strict.growers] == ["Buffer"]


def test_churn_and_what_v8_holds_are_not_growth(tmp_path: Path) -> None:
    before = heap(timers=OLD_TIMERS, buffers=0, parsers=(401, 403), constants=0)
    after = heap(timers=OLD_TIMERS, buffers=0, parsers=(501, 503), constants=5000)
    growth = diff_files(before.write(tmp_path / "a.heapsnapshot"), after.write(tmp_path / "b.heapsnapshot"))
    assert growth.growers == ()
    assert "beyond noise" in growth.noise


def test_snapshots_of_unrelated_processes_still_compare_without_failing(two: tuple[Path, Path]) -> None:
    # Same file twice: nothing is new, nothing grew.
    assert diff_files(two[1], two[1]).growers == ()


def test_ids_reset_between_the_snapshots_fall_back_to_counts_and_say_so(tmp_path: Path) -> None:
    before = heap(timers=OLD_TIMERS, buffers=0, parsers=(401, 403), constants=0)
    # Work in flight at the first snapshot: 2,000 objects, gone by the second.
    for i in range(2000):
        before.edge(0, before.node("object", "Request", 50_001 + 2 * i), i, "element")
    after = heap(timers=OLD_TIMERS + 150, buffers=120, parsers=(501, 503), constants=0)
    # V8 numbered every object afresh (an inspector session closed between the snapshots): the
    # later snapshot's ids are ids the earlier one had, for other objects.
    earlier_ids = sorted(node_id for _, _, node_id, _ in before.nodes)
    after.nodes = [(kind, name, earlier_ids[i], size) for i, (kind, name, _, size) in enumerate(after.nodes)]
    growth = diff_files(before.write(tmp_path / "a.heapsnapshot"), after.write(tmp_path / "b.heapsnapshot"))
    assert "object ids were reset" in growth.noise
    kinds = [g.kind for g in growth.growers]
    assert {"Timeout", "Buffer"} <= set(kinds) and not any(g.paths for g in growth.growers)
    assert next(g for g in growth.growers if g.kind == "Timeout").objects_added == 150
