"""Grouping a heap graph's objects by kind (constructor name), as DevTools' Summary view does.

A kind is the constructor name for objects and native objects; for functions, the function's
name and source location (two closures made by the same line are one kind, so a listener leak
reads "(closure) anonymous @ src/leaks.js:56"); V8's internal kinds in parentheses. Strings,
numbers and code are one kind each: their names are contents, not kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.reader import HeapGraph

_BATCH = 1 << 18  # nodes per step: bounds the temporary arrays
# V8's own structures: what it allocates to run the program, not what the program keeps.
MACHINERY_TYPES = frozenset({"hidden", "array", "code", "object shape", "synthetic"})
V8_CACHES = frozenset({"(Internalized strings)", "(Startup object cache)", "(Compilation cache)", "(Builtins)"})
# Objects whose kind says nothing of what they are for: plain objects and the built-in collections.
CONTAINERS = frozenset({"Object", "Array", "Map", "Set", "WeakMap", "WeakSet", "(object)"})
_OWNER_TYPES = frozenset({"object", "native"})
_FIXED = {
    "string": "(string)",
    "concatenated string": "(string)",
    "sliced string": "(string)",
    "number": "(number)",
    "code": "(compiled code)",
    "bigint": "(bigint)",
    "symbol": "(symbol)",
    "regexp": "(regexp)",
    "object shape": "(object shape)",
}


@dataclass(frozen=True)
class KindStats:
    count: int
    self_bytes: int


@dataclass(frozen=True)
class HeapSummary:
    """Objects per kind in one snapshot."""

    kinds: Mapping[str, KindStats]
    node_count: int
    total_bytes: int


@dataclass(frozen=True)
class KindGraph:
    """What the diff keeps of a snapshot once it is classified: each node's kind (an index into
    `kinds`), whether it is new since the earlier snapshot, its self size, and the strong edges
    (see HeapGraph); names and ids are dropped.
    `machinery[k]` is True for V8's own kinds (compiled code, shapes, internal arrays and
    system objects): V8 makes and grows them as it compiles and caches, never the program.
    `opaque[k]` is True for V8's code and caches: what they hold (a function's string
    constants, interned names) is V8's too, though its kind is the program's.
    `container[k]` is True for plain objects, the built-in collections and V8's contexts: a
    leak root of such a kind is named after what it holds (see diff.py). `owner[k]` is True
    for the other objects (class instances, native objects): what a container may be named by."""

    kinds: tuple[str, ...]
    machinery: NDArray[np.bool_]
    opaque: NDArray[np.bool_]
    container: NDArray[np.bool_]
    owner: NDArray[np.bool_]
    node_kind: NDArray[np.uint32]
    node_new: NDArray[np.bool_]
    node_size: NDArray[np.uint32]
    edge_end: NDArray[np.uint32]
    edge_to: NDArray[np.uint32]

    @property
    def node_count(self) -> int:
        return int(self.node_kind.size)


def kind_name(type_name: str, name: str) -> str:
    if type_name in _FIXED:
        return _FIXED[type_name]
    if type_name == "closure":
        return f"(closure) {name or 'anonymous'}"
    if type_name == "array":
        return name or "(array)"
    if type_name == "hidden":
        return name or "(system)"
    return name or f"({type_name})"


def _where(url: str, line: int, column: int) -> str:
    """A readable location: the last two parts of the script's path, 1-based line and column."""
    short = "/".join(url.rstrip("/").split("/")[-2:]) if url else ""
    return f"{short or 'script'}:{line + 1}:{column + 1}"


class _Kinds:
    """Kind name -> dense index, assigned in order of first sight, and whether it is V8's own."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.machinery: list[bool] = []
        self.opaque: list[bool] = []
        self.container: list[bool] = []
        self.owner: list[bool] = []

    def of(self, name: str, type_name: str = "") -> int:
        if name not in self.index:
            self.index[name] = len(self.index)
            self.machinery.append(type_name in MACHINERY_TYPES)
            self.opaque.append(type_name == "code" or (type_name == "synthetic" and name in V8_CACHES))
            plain = name in CONTAINERS or name.startswith("system / ")
            self.container.append(type_name == "object" and plain)
            self.owner.append(type_name in _OWNER_TYPES and not plain)
        return self.index[name]


def classify(
    graph: HeapGraph, script_urls: Mapping[int, str] | None = None, node_new: NDArray[np.bool_] | None = None
) -> KindGraph:
    """The kind of every node; batches keep the temporary arrays small on a big graph.
    node_new: which nodes the earlier snapshot had not (all, without one)."""
    kinds = _Kinds()
    node_kind = np.empty(graph.node_count, np.uint32)
    types = graph.meta.node_types
    for start in range(0, graph.node_count, _BATCH):
        stop = min(start + _BATCH, graph.node_count)
        pair = (graph.node_type[start:stop].astype(np.uint64) << np.uint64(32)) | graph.node_name[start:stop]
        unique, inverse = np.unique(pair, return_inverse=True)
        ids = np.array([_kind_of(kinds, types[int(p) >> 32], graph.names.get(int(p) & 0xFFFFFFFF, "")) for p in unique])
        node_kind[start:stop] = ids[inverse]
    _locate_closures(graph, node_kind, kinds, script_urls or {})
    return KindGraph(
        kinds=tuple(kinds.index),
        machinery=np.array(kinds.machinery, dtype=bool),
        opaque=np.array(kinds.opaque, dtype=bool),
        container=np.array(kinds.container, dtype=bool),
        owner=np.array(kinds.owner, dtype=bool),
        node_kind=node_kind,
        node_new=np.ones(graph.node_count, bool) if node_new is None else node_new,
        node_size=graph.node_size,
        edge_end=graph.edge_end,
        edge_to=graph.edge_to,
    )


def _kind_of(kinds: _Kinds, type_name: str, name: str) -> int:
    return kinds.of(kind_name(type_name, name), type_name)


def _locate_closures(
    graph: HeapGraph, node_kind: NDArray[np.uint32], kinds: _Kinds, script_urls: Mapping[int, str]
) -> None:
    """Split each closure kind by where the function was written (the snapshot's `locations`)."""
    locations = graph.locations
    if "node" not in locations or "line" not in locations or "closure" not in graph.meta.node_types:
        return
    closures = graph.node_type[locations["node"]] == graph.meta.node_types.index("closure")
    if not closures.any():
        return
    nodes = locations["node"][closures]
    zeros = np.zeros(nodes.size, np.uint32)
    script = locations["script_id"][closures] if "script_id" in locations else zeros
    column = locations["column"][closures] if "column" in locations else zeros
    line = locations["line"][closures]
    for start in range(0, nodes.size, _BATCH):
        part = slice(start, start + _BATCH)
        rows = np.stack((graph.node_name[nodes[part]], script[part], line[part], column[part]), axis=1)
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        ids = np.empty(len(unique), np.uint32)
        for i, (name, script_id, at_line, at_column) in enumerate(unique.tolist()):
            where = _where(script_urls.get(script_id, ""), at_line, at_column)
            ids[i] = kinds.of(f"{kind_name('closure', graph.names.get(name, ''))} @ {where}", "closure")
        node_kind[nodes[part]] = ids[inverse.reshape(-1)]


def summarize(graph: HeapGraph, classified: KindGraph) -> HeapSummary:
    """Object count and self size per kind."""
    size = len(classified.kinds)
    counts = np.zeros(size, np.int64)
    self_bytes = np.zeros(size, np.float64)
    for start in range(0, graph.node_count, _BATCH):
        stop = min(start + _BATCH, graph.node_count)
        counts += np.bincount(classified.node_kind[start:stop], minlength=size)
        self_bytes += np.bincount(classified.node_kind[start:stop], weights=graph.node_size[start:stop], minlength=size)
    totals = [int(b) for b in self_bytes]
    for node, big in graph.big_sizes.items():
        totals[int(classified.node_kind[node])] += big - 0xFFFFFFFF
    kinds = {name: KindStats(int(counts[i]), totals[i]) for i, name in enumerate(classified.kinds) if counts[i] > 0}
    return HeapSummary(
        kinds=kinds,
        node_count=graph.node_count,
        total_bytes=sum(totals),
    )
