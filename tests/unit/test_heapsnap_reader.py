"""The streaming snapshot reader: the same graph whatever the buffer size or layout, only the
strings it needs, and a one-line error for anything that is not a snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.heapsnap.reader import NO_EDGE, read_graph
from harness.heapsnap.snapshot import load_snapshot
from harness.heapsnap.stream import SnapshotFormatError
from harness.heapsnap.summary import classify, summarize
from tests.unit.snapshot_files import SnapshotFile


def small_heap() -> SnapshotFile:
    snap = SnapshotFile()
    glob = snap.node("object", "global / ", 3, 40)
    snap.edge(0, glob, "global", "shortcut")
    holder = snap.node("object", "Holder", 5, 24)
    snap.edge(glob, holder, "holder")
    for i in range(4):
        entry = snap.node("object", 'Entry "quoted" \\ é', 7 + 2 * i, 32)
        snap.edge(holder, entry, i, "element")
    text = snap.node("string", "a string's content, never kept", 21, 48)
    snap.edge(holder, text, "text")
    cached = snap.node("object", "Cached", 23, 8)
    snap.edge(holder, cached, "cache", "weak")
    fn = snap.node("closure", "", 25, 56)
    snap.edge(holder, fn, "onError")
    snap.locations.append((fn, 77, 55, 45))
    return snap


def test_every_buffer_size_and_layout_reads_the_same_graph(tmp_path: Path) -> None:
    compact = small_heap().write(tmp_path / "compact.heapsnapshot")
    pretty = small_heap().write(tmp_path / "pretty.heapsnapshot", indent=2)
    reference = read_graph(compact)
    for path, chunk in ((compact, 7), (pretty, 5), (pretty, 1 << 20)):
        graph = read_graph(path, chunk_bytes=chunk)
        assert np.array_equal(graph.node_id, reference.node_id)
        assert np.array_equal(graph.edge_end, reference.edge_end)
        assert np.array_equal(graph.edge_to, reference.edge_to)
        assert graph.names == reference.names


def test_weak_edges_are_dropped_and_string_contents_are_not_kept(tmp_path: Path) -> None:
    graph = read_graph(small_heap().write(tmp_path / "a.heapsnapshot"), chunk_bytes=16)
    assert graph.node_count == 10 and graph.edge_to.size == 9
    assert int((graph.edge_to == NO_EDGE).sum()) == 1  # holder.cache
    assert 'Entry "quoted" \\ é' in graph.names.values()
    assert "a string's content, never kept" not in graph.names.values()


def test_kinds_count_objects_and_split_closures_by_where_they_were_written(tmp_path: Path) -> None:
    path = small_heap().write(tmp_path / "a.heapsnapshot")
    (tmp_path / "a.scripts.json").write_text(json.dumps({"77": "file:///srv/bot/src/leaks.js"}))
    summary = load_snapshot(path).summary
    assert summary.kinds['Entry "quoted" \\ é'].count == 4
    assert summary.kinds['Entry "quoted" \\ é'].self_bytes == 128
    assert summary.kinds["(string)"].count == 1
    assert summary.kinds["(closure) anonymous @ src/leaks.js:56:46"].count == 1
    graph = read_graph(path)
    assert sum(s.count for s in summarize(graph, classify(graph)).kinds.values()) == graph.node_count


def test_a_string_table_before_the_nodes_is_read_too(tmp_path: Path) -> None:
    document = small_heap().document()
    reordered = {"strings": document.pop("strings"), **document}
    path = tmp_path / "reordered.heapsnapshot"
    path.write_text(json.dumps(reordered))
    assert read_graph(path).names == read_graph(small_heap().write(tmp_path / "a.heapsnapshot")).names


def _broken(tmp_path: Path, text: str) -> SnapshotFormatError:
    path = tmp_path / "broken.heapsnapshot"
    path.write_text(text)
    with pytest.raises(SnapshotFormatError) as info:
        read_graph(path, chunk_bytes=64)
    assert "\n" not in str(info.value)
    return info.value


def test_what_is_not_a_snapshot_is_a_one_line_error(tmp_path: Path) -> None:
    whole = json.dumps(small_heap().document())
    assert "not JSON" in str(_broken(tmp_path, "hello"))
    assert "not a V8 heap snapshot" in str(_broken(tmp_path, '{"a": [1, 2]}'))
    assert "unterminated" in str(_broken(tmp_path, whole[: len(whole) // 2]))
    assert "not an integer array" in str(_broken(tmp_path, whole.replace('"nodes": [9,', '"nodes": [9, "x",')))
    more = small_heap().document()
    more["snapshot"]["node_count"] += 1  # type: ignore[index]
    assert "the header says" in str(_broken(tmp_path, json.dumps(more)))
    bad_edge = small_heap().document()
    bad_edge["edges"][2] = 10**6  # type: ignore[index]
    assert "does not exist" in str(_broken(tmp_path, json.dumps(bad_edge)))
