"""Naming an object by its class: the function whose `prototype` is the object's own prototype.

V8 names an instance of a derived class by the first `constructor` property up its prototype
chain. A mixin that copies another class's prototype members overwrites that property (ioredis
copies EventEmitter's onto its client class), and then every client reads `EventEmitter`,
counted with the real emitters. The function whose `prototype` is the object's `__proto__` is
the class `new` and `instanceof` go by; when it has a name that differs, it names the object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from harness.heapsnap.reader import HeapGraph

_NONE = 0xFFFFFFFF
_NO_TYPE = -1
_SLICE = 1 << 17  # edges at a time


class PrototypeEdges:
    """Collects, as the edges stream past, each object's last property edge (V8 writes the
    `__proto__` edge after the object's own properties, and only internal edges after it) and
    the functions' property edges (one of them is `prototype`; its name is known only once the
    string table, written last, is read)."""

    def __init__(self, graph: HeapGraph, type_col: int, name_col: int) -> None:
        meta = graph.meta
        self.graph = graph
        self.type_col, self.name_col = type_col, name_col
        self.property = meta.edge_types.index("property") if "property" in meta.edge_types else _NO_TYPE
        self.object = meta.node_types.index("object") if "object" in meta.node_types else _NO_TYPE
        self.closure = meta.node_types.index("closure") if "closure" in meta.node_types else _NO_TYPE
        graph.last_property = np.full(graph.node_count, _NONE, np.uint32)
        self.function_parts: list[NDArray[np.uint32]] = []

    def add(self, first_edge: int, rows: NDArray[np.int64], targets: NDArray[np.uint32]) -> None:
        """rows: the edges first_edge.. as read; targets: their target nodes. In slices, which
        bound the temporary arrays (a chunk can hold millions of edges)."""
        for start in range(0, len(rows), _SLICE):
            self._add(first_edge + start, rows[start : start + _SLICE], targets[start : start + _SLICE])

    def _add(self, first_edge: int, rows: NDArray[np.int64], targets: NDArray[np.uint32]) -> None:
        graph = self.graph
        names = rows[:, self.name_col]
        chosen = np.flatnonzero((rows[:, self.type_col] == self.property) & (names >= 0) & (names < _NONE))
        if chosen.size == 0:
            return
        # Both uint32: a query of another type would copy the whole edge_end array to match it.
        edges = (chosen + first_edge).astype(np.uint32)
        sources = np.searchsorted(graph.edge_end, edges, side="right").astype(np.uint32)
        source_types = graph.node_type[sources]
        objects = source_types == self.object
        # Reversed, np.unique's first index of a source is its last property edge.
        last_first, at = np.unique(sources[objects][::-1], return_index=True)
        graph.last_property[last_first] = targets[chosen[objects]][::-1][at]
        functions = source_types == self.closure
        if functions.any():
            part = np.stack((sources[functions], names[chosen[functions]], targets[chosen[functions]]), axis=1)
            self.function_parts.append(part.astype(np.uint32))

    def finish(self) -> None:
        if self.function_parts:
            self.graph.function_edges = np.concatenate(self.function_parts)
        self.function_parts = []


def _prototype_owners(graph: HeapGraph) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """Prototype objects (sorted) and the name (string index) of the one named function whose
    `prototype` each is; a prototype two differently named functions claim is left out."""
    proto = [index for index, text in graph.names.items() if text == "prototype"]
    edges = graph.function_edges
    edges = edges[np.isin(edges[:, 1], np.array(proto, np.uint32))]
    names = graph.node_name[edges[:, 0]]
    named = np.array([bool(graph.names.get(int(n))) for n in names], dtype=bool)
    pairs = np.unique(np.stack((edges[named, 2], names[named]), axis=1), axis=0)
    if pairs.size == 0:
        return np.empty(0, np.uint32), np.empty(0, np.uint32)
    targets, counts = np.unique(pairs[:, 0], return_counts=True)
    single = np.isin(pairs[:, 0], targets[counts == 1])
    return pairs[single, 0], pairs[single, 1]


def name_by_class(graph: HeapGraph) -> None:
    """Rename each object whose class (see the module) has a name other than V8's; prototype
    objects keep V8's name. Frees what PrototypeEdges collected."""
    prototypes, class_names = _prototype_owners(graph)
    last = graph.last_property
    graph.last_property = np.empty(0, np.uint32)
    graph.function_edges = np.empty((0, 3), np.uint32)
    if prototypes.size == 0 or last.size != graph.node_count:
        return
    step = 1 << 18
    for start in range(0, graph.node_count, step):
        part = last[start : start + step]
        slot = np.minimum(np.searchsorted(prototypes, part), prototypes.size - 1)
        found = prototypes[slot] == part
        nodes = np.flatnonzero(found) + start
        is_prototype = prototypes[np.minimum(np.searchsorted(prototypes, nodes), prototypes.size - 1)] == nodes
        graph.node_name[nodes[~is_prototype]] = class_names[slot[found][~is_prototype]]
