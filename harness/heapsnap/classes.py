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
    """Collects, as the edges stream past, which edges are an object's property edges (one bit
    each: V8 writes the `__proto__` edge after the object's own properties, and only internal
    edges after it) and the functions' property edges (one of them is `prototype`; its name is
    known only once the string table, written last, is read)."""

    def __init__(self, graph: HeapGraph, type_col: int, name_col: int) -> None:
        meta = graph.meta
        self.graph = graph
        self.type_col, self.name_col = type_col, name_col
        self.property = meta.edge_types.index("property") if "property" in meta.edge_types else _NO_TYPE
        self.object = meta.node_types.index("object") if "object" in meta.node_types else _NO_TYPE
        self.closure = meta.node_types.index("closure") if "closure" in meta.node_types else _NO_TYPE
        self.packed: list[NDArray[np.uint8]] = []
        self.carry = np.empty(0, bool)  # bits not yet a whole byte
        self.function_parts: list[NDArray[np.uint32]] = []

    def add(self, first_edge: int, rows: NDArray[np.int64], targets: NDArray[np.uint32]) -> None:
        """rows: the edges first_edge.. as read; targets: their target nodes. In slices, which
        bound the temporary arrays (a chunk can hold millions of edges)."""
        for start in range(0, len(rows), _SLICE):
            self._add(first_edge + start, rows[start : start + _SLICE], targets[start : start + _SLICE])

    def _add(self, first_edge: int, rows: NDArray[np.int64], targets: NDArray[np.uint32]) -> None:
        names = rows[:, self.name_col]
        chosen = np.flatnonzero((rows[:, self.type_col] == self.property) & (names >= 0) & (names < _NONE))
        # Both uint32: a query of another type would copy the whole edge_end array to match it.
        edges = (chosen + first_edge).astype(np.uint32)
        sources = np.searchsorted(self.graph.edge_end, edges, side="right").astype(np.uint32)
        source_types = self.graph.node_type[sources]
        bits = np.zeros(len(rows), bool)
        bits[chosen[source_types == self.object]] = True
        bits = np.concatenate((self.carry, bits))
        whole = bits.size - bits.size % 8
        self.packed.append(np.packbits(bits[:whole]))
        self.carry = bits[whole:]
        functions = source_types == self.closure
        if functions.any():
            part = np.stack((sources[functions], names[chosen[functions]], targets[chosen[functions]]), axis=1)
            self.function_parts.append(part.astype(np.uint32))

    def finish(self) -> None:
        self.graph.object_properties = np.concatenate([*self.packed, np.packbits(self.carry)])
        if self.function_parts:
            self.graph.function_edges = np.concatenate(self.function_parts)
        self.packed, self.function_parts = [], []


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


def _prototypes_of(
    graph: HeapGraph, bits: NDArray[np.uint8], first: int, stop: int
) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """The objects among nodes first..stop-1 with property edges, and each one's last property
    edge's target: its prototype."""
    e0 = int(graph.edge_end[first - 1]) if first else 0
    e1 = int(graph.edge_end[stop - 1])
    if e1 <= e0:
        return np.empty(0, np.uint32), np.empty(0, np.uint32)
    unpacked = np.unpackbits(bits[e0 // 8 : (e1 + 7) // 8])[e0 % 8 : e0 % 8 + e1 - e0]
    edges = (np.flatnonzero(unpacked) + e0).astype(np.uint32)
    sources = np.searchsorted(graph.edge_end, edges, side="right").astype(np.uint32)
    # Reversed, np.unique's first index of a source is its last property edge.
    objects, at = np.unique(sources[::-1], return_index=True)
    return objects, graph.edge_to[edges[::-1][at]]


def name_by_class(graph: HeapGraph) -> None:
    """Rename each object whose class (see the module) has a name other than V8's; prototype
    objects keep V8's name. Frees what PrototypeEdges collected."""
    prototypes, class_names = _prototype_owners(graph)
    bits = graph.object_properties
    graph.object_properties = np.empty(0, np.uint8)
    graph.function_edges = np.empty((0, 3), np.uint32)
    if prototypes.size == 0 or bits.size * 8 < int(graph.edge_end[-1]):
        return
    step = 1 << 17
    for first in range(0, graph.node_count, step):
        objects, targets = _prototypes_of(graph, bits, first, min(first + step, graph.node_count))
        slot = np.minimum(np.searchsorted(prototypes, targets), prototypes.size - 1)
        found = prototypes[slot] == targets
        slot[~found] = 0
        mine = np.minimum(np.searchsorted(prototypes, objects), prototypes.size - 1)
        found &= prototypes[mine] != objects
        graph.node_name[objects[found]] = class_names[slot[found]]
