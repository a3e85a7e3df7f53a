"""Loading the snapshots of a diff: the earlier one's summary by kind and object ids, the later
one's summary and graph, its objects marked new or not."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.files import SCRIPTS_SUFFIX, SNAPSHOT_SUFFIX
from harness.heapsnap.reader import HeapGraph, read_graph
from harness.heapsnap.stream import SnapshotFormatError
from harness.heapsnap.summary import HeapSummary, KindGraph, classify, summarize

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LoadedSnapshot:
    name: str
    summary: HeapSummary
    graph: KindGraph


@dataclass(frozen=True)
class Earlier:
    """What the diff needs of the earlier snapshot: counts by kind and which objects existed."""

    name: str
    summary: HeapSummary
    ids: NDArray[np.uint32]  # sorted

    def without_ids(self) -> Earlier:
        """Once the later snapshot is loaded, only the counts are needed: free the ids."""
        return replace(self, ids=np.empty(0, np.uint32))

    def existed(self, ids: NDArray[np.uint32]) -> NDArray[np.bool_]:
        found = np.zeros(ids.size, bool)
        if self.ids.size == 0:
            return found
        for start in range(0, ids.size, _CHUNK):
            part = ids[start : start + _CHUNK]
            where = np.minimum(np.searchsorted(self.ids, part), self.ids.size - 1)
            found[start : start + _CHUNK] = self.ids[where] == part
        return found


def script_urls(path: Path) -> dict[int, str]:
    """The script URLs saved beside a snapshot taken by soak; none for one taken elsewhere."""
    beside = path.with_name(path.name.removesuffix(SNAPSHOT_SUFFIX) + SCRIPTS_SUFFIX)
    try:
        raw = json.loads(beside.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {int(key): str(url) for key, url in raw.items() if str(key).isdigit()}


def _read(path: Path) -> HeapGraph:
    try:
        return read_graph(path)
    except OSError as exc:
        raise SnapshotFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    except SnapshotFormatError as exc:
        raise SnapshotFormatError(f"{path}: {exc}") from None


def load_snapshot(path: Path, earlier: Earlier | None = None) -> LoadedSnapshot:
    """The later snapshot of a diff (its objects marked new or not against the earlier one),
    or any snapshot alone. Raises SnapshotFormatError (one line) for a file that is not one."""
    graph = _read(path)
    node_new = None if earlier is None else ~earlier.existed(graph.node_id)
    graph.node_id = np.empty(0, np.uint32)  # not needed any more: a big graph's ids are tens of MB
    kinds = classify(graph, script_urls(path), node_new)
    return LoadedSnapshot(path.name, summarize(graph, kinds), kinds)


def load_earlier(path: Path) -> Earlier:
    graph = _read(path)
    summary = summarize(graph, classify(graph, script_urls(path)))
    node_id = graph.node_id
    del graph  # sort the ids once the rest of the graph is gone
    return Earlier(path.name, summary, np.sort(node_id))
