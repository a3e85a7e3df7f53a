"""Loading one snapshot file for a diff: its summary by kind, its ids, and (for the later one) its graph."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.files import SCRIPTS_SUFFIX, SNAPSHOT_SUFFIX
from harness.heapsnap.reader import read_graph
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


def load_snapshot(path: Path) -> LoadedSnapshot:
    """Raises SnapshotFormatError (one line) for a file that is not a readable heap snapshot."""
    try:
        graph = read_graph(path)
    except OSError as exc:
        raise SnapshotFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    except SnapshotFormatError as exc:
        raise SnapshotFormatError(f"{path}: {exc}") from None
    kinds = classify(graph, script_urls(path))
    summary = summarize(graph, kinds)
    return LoadedSnapshot(path.name, summary, kinds)


def load_earlier(path: Path) -> Earlier:
    loaded = load_snapshot(path)
    return Earlier(loaded.name, loaded.summary, np.unique(loaded.graph.node_id))
