"""Naming leak roots that are plain containers by what they hold.

A plain object pushed into an old list reads "Object: 206 new" and says nothing; what it holds
does: two Agents and, under one, a Socket with its streams' state, listeners and handle. Each new
object under such a root belongs to the nearest class instance on its shortest path from the
root (itself, when it is one): a Socket owns its stream states' contents, its listeners'
closures and their contexts, an Agent its option and socket lists. The roots of a container
kind are named by the kind whose instances own the most of those bytes, among the kinds with at
least one instance per two roots: what the roots typically hold, not one big thing a few carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.paths import NO_NODE, Tree
from harness.heapsnap.summary import KindGraph

_CHUNK = 1 << 18
MIN_INSTANCES_PER_ROOT = 0.5


@dataclass(frozen=True)
class Named:
    """The kind naming the roots of a container kind, and some of its instances under them."""

    kind: int
    samples: NDArray[np.int64]


def _owners(graph: KindGraph, tree: Tree, anchor: NDArray[np.uint32], wanted: NDArray[np.bool_]) -> NDArray[np.uint32]:
    """Each node's owner under a root of a wanted kind; NO_NODE elsewhere (roots included)."""
    owner = np.full(graph.node_count, NO_NODE, np.uint32)
    for level in list(tree.levels())[1:]:
        for start in range(0, level.size, _CHUNK):
            nodes = level[start : start + _CHUNK]
            roots = anchor[nodes]
            under = roots != NO_NODE
            under[under] = wanted[graph.node_kind[roots[under]]] & (roots[under] != nodes[under])
            if not under.any():
                continue
            nodes = nodes[under]
            owner[nodes] = np.where(graph.owner[graph.node_kind[nodes]], nodes, owner[tree.parent[nodes]])
    return owner


def _owned_bytes(
    graph: KindGraph, anchor: NDArray[np.uint32], owner: NDArray[np.uint32], row_of: NDArray[np.int64], rows: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per (root kind's row, owner kind): the bytes owned, and the owning instances."""
    size = len(graph.kinds)
    owned = np.zeros(rows * size, np.float64)
    instances = np.zeros(rows * size, np.int64)
    for start in range(0, graph.node_count, _CHUNK):
        part = owner[start : start + _CHUNK]
        nodes = np.flatnonzero(part != NO_NODE) + start
        cell = row_of[graph.node_kind[anchor[nodes]]] * size + graph.node_kind[owner[nodes]]
        owned += np.bincount(cell, weights=graph.node_size[nodes], minlength=rows * size)
        instances += np.bincount(cell[owner[nodes] == nodes], minlength=rows * size)
    return owned.reshape(rows, size), instances.reshape(rows, size)


def _samples(
    graph: KindGraph, anchor: NDArray[np.uint32], owner: NDArray[np.uint32], root_kind: int, kind: int
) -> NDArray[np.int64]:
    found = []
    for start in range(0, graph.node_count, _CHUNK):
        part = owner[start : start + _CHUNK]
        nodes = np.flatnonzero(part == np.arange(start, start + part.size, dtype=np.uint32)) + start
        nodes = nodes[(graph.node_kind[nodes] == kind) & (graph.node_kind[anchor[nodes]] == root_kind)]
        found.append(nodes)
    return np.concatenate(found) if found else np.empty(0, np.int64)


def name_containers(
    graph: KindGraph, tree: Tree, anchor: NDArray[np.uint32], roots_by_kind: dict[int, int]
) -> dict[int, Named]:
    """For each container kind among roots_by_kind (kind -> its new roots), the kind naming it,
    when one qualifies (see the module)."""
    kinds = [k for k in roots_by_kind if graph.container[k]]
    if not kinds:
        return {}
    wanted = np.zeros(len(graph.kinds), bool)
    wanted[kinds] = True
    row_of = np.zeros(len(graph.kinds), np.int64)
    row_of[kinds] = np.arange(len(kinds))
    owner = _owners(graph, tree, anchor, wanted)
    owned, instances = _owned_bytes(graph, anchor, owner, row_of, len(kinds))
    named = {}
    for row, root_kind in enumerate(kinds):
        typical = instances[row] >= MIN_INSTANCES_PER_ROOT * max(roots_by_kind[root_kind], 1)
        if not typical.any():
            continue
        best = int(np.argmax(np.where(typical, owned[row], -1.0)))
        named[root_kind] = Named(best, _samples(graph, anchor, owner, root_kind, best))
    return named
