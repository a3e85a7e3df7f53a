"""Naming leak roots that are plain containers by what they hold.

A plain object pushed into an old list reads "Object: 206 new" and says nothing; what it holds
does: two Agents and, under one, a Socket with its streams' state, listeners and handle. Each new
object under such a root belongs to the nearest class instance on its shortest path from the
root (itself, when it is one): a Socket owns its stream states' contents, its listeners'
closures and their contexts, an Agent its option and socket lists. Each root is named by the
kind whose instances under it own the most bytes, and the roots of a container kind are grouped
by that name: one leak of holders of TLS sockets and another of holders of plain ones are two
lines, each named by its socket, and a holder owning no class instance keeps its own kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.paths import NO_NODE, Tree
from harness.heapsnap.summary import KindGraph

_CHUNK = 1 << 18


@dataclass(frozen=True)
class Named:
    """Roots of a container kind named alike: the naming kind (the container's own when they
    hold no class instance), how many roots, the new bytes under them, some nodes to trace."""

    kind: int
    roots: int
    held_bytes: int
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


def _sums(
    graph: KindGraph, keys: NDArray[np.uint32], anchor: NDArray[np.uint32], owner: NDArray[np.uint32]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bytes under each root in `keys` (sorted) and owned by each instance in `keys`."""
    by_root = np.zeros(keys.size, np.float64)
    by_owner = np.zeros(keys.size, np.float64)
    for start in range(0, graph.node_count, _CHUNK):
        stop = min(start + _CHUNK, graph.node_count)
        for link, sums in ((anchor[start:stop], by_root), (owner[start:stop], by_owner)):
            nodes = np.flatnonzero(link != NO_NODE) + start
            slot = np.minimum(np.searchsorted(keys, link[nodes - start]), keys.size - 1)
            mine = keys[slot] == link[nodes - start]
            np.add(sums, np.bincount(slot[mine], weights=graph.node_size[nodes[mine]], minlength=keys.size), out=sums)
    return by_root, by_owner


def _instances(owner: NDArray[np.uint32]) -> NDArray[np.uint32]:
    parts = [
        np.flatnonzero(owner[s : s + _CHUNK] == np.arange(s, s + owner[s : s + _CHUNK].size, dtype=np.uint32)) + s
        for s in range(0, owner.size, _CHUNK)
    ]
    return np.concatenate(parts).astype(np.uint32) if parts else np.empty(0, np.uint32)


def _labels(
    graph: KindGraph, roots: NDArray[np.uint32], instances: NDArray[np.uint32], owned: NDArray[np.float64],
    anchor: NDArray[np.uint32],
) -> NDArray[np.int64]:  # fmt: skip
    """Per root (sorted), the kind owning the most bytes under it; its own kind when none."""
    labels = graph.node_kind[roots].astype(np.int64)
    if instances.size == 0:
        return labels
    where = np.searchsorted(roots, anchor[instances])
    keys = where.astype(np.int64) * len(graph.kinds) + graph.node_kind[instances]
    pairs, inverse = np.unique(keys, return_inverse=True)
    totals = np.bincount(inverse.reshape(-1), weights=owned)
    best = np.lexsort((-totals, pairs // len(graph.kinds)))  # per root, the most bytes first
    first = np.unique(pairs[best] // len(graph.kinds), return_index=True)[1]
    labels[pairs[best][first] // len(graph.kinds)] = pairs[best][first] % len(graph.kinds)
    return labels


def name_containers(
    graph: KindGraph, tree: Tree, anchor: NDArray[np.uint32], roots: NDArray[np.int64], kinds: list[int]
) -> dict[int, list[Named]]:
    """For each container kind among kinds, its roots (among `roots`, the leak roots) grouped
    by the kind naming each (see the module), the most bytes first."""
    kinds = [k for k in kinds if graph.container[k]]
    if not kinds or roots.size == 0:
        return {}
    wanted = np.zeros(len(graph.kinds), bool)
    wanted[kinds] = True
    mine = np.sort(roots[wanted[graph.node_kind[roots]]]).astype(np.uint32)
    owner = _owners(graph, tree, anchor, wanted)
    instances = _instances(owner)
    keys = np.union1d(mine, instances)
    by_root, by_owner = _sums(graph, keys, anchor, owner)
    held = by_root[np.searchsorted(keys, mine)]
    labels = _labels(graph, mine, instances, by_owner[np.searchsorted(keys, instances)], anchor)
    named: dict[int, list[Named]] = {}
    for kind in kinds:
        of_kind = graph.node_kind[mine] == kind
        groups = []
        for label in np.unique(labels[of_kind]):
            group = of_kind & (labels == label)
            if label == kind:
                samples = mine[group].astype(np.int64)
            else:
                at = instances[(graph.node_kind[instances] == label)]
                samples = at[np.isin(anchor[at], mine[group])].astype(np.int64)
            groups.append(Named(int(label), int(group.sum()), int(held[group].sum()), samples))
        named[kind] = sorted(groups, key=lambda g: -g.held_bytes)
    return named
