"""Shortest retainer paths: a breadth-first search from the snapshot's root over strong edges.

The search runs level by level on numpy arrays, a bounded batch of edges at a time, and keeps
per node the node it was first reached from, plus the order nodes were reached in (level by
level), so a pass over the levels sees every node after its retainer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.reader import NO_EDGE
from harness.heapsnap.summary import KindGraph

NO_NODE = NO_EDGE
_BATCH_EDGES = 1 << 20
_BATCH_NODES = 1 << 18


@dataclass(frozen=True)
class Tree:
    """The shortest-path tree: parent[v] (NO_NODE for the root and the unreachable), and the
    reached nodes in order, level L being order[level_starts[L]:level_starts[L + 1]]."""

    parent: NDArray[np.uint32]
    order: NDArray[np.uint32]
    level_starts: tuple[int, ...]

    def levels(self) -> Iterator[NDArray[np.uint32]]:
        for start, stop in zip(self.level_starts, self.level_starts[1:], strict=False):
            yield self.order[start:stop]


def _edge_starts(graph: KindGraph, nodes: NDArray[np.int64]) -> NDArray[np.int64]:
    starts = np.zeros(nodes.size, np.int64)
    inner = nodes > 0
    starts[inner] = graph.edge_end[nodes[inner] - 1]
    return starts


def _batches(counts: NDArray[np.int64]) -> Iterator[slice]:
    """Slices of the frontier holding about _BATCH_EDGES edges each (a huge node alone)."""
    cumulative = np.cumsum(counts)
    start = 0
    while start < counts.size:
        base = cumulative[start - 1] if start else 0
        stop = max(int(np.searchsorted(cumulative, base + _BATCH_EDGES, side="right")), start + 1)
        yield slice(start, stop)
        start = stop


def shortest_path_tree(graph: KindGraph, *, program_first: bool = True) -> Tree:
    """Breadth-first from the root. program_first: first from the program's global objects only,
    then from V8's and the embedder's roots (handles, native wrappers) for what is left, so an
    object the program holds (a client in an array) is found through that, not through the
    socket handle that merely keeps it open."""
    parent = np.full(graph.node_count, NO_NODE, np.uint32)
    order = np.empty(graph.node_count, np.uint32)
    seen = np.zeros(graph.node_count, bool)
    seen[0], order[0] = True, 0
    roots = graph.edge_to[: int(graph.edge_end[0])]
    roots = np.unique(roots[roots != NO_EDGE])
    if program_first:
        roots = roots[~graph.machinery[graph.node_kind[roots]]]
    seen[roots], parent[roots] = True, 0
    order[1 : 1 + roots.size] = roots
    level_starts, filled = [0, 1, 1 + roots.size], 1 + roots.size
    for phase in range(2):
        if phase == 1:  # then whatever V8's and the embedder's roots hold besides
            rest = graph.edge_to[: int(graph.edge_end[0])]
            rest = np.unique(rest[(rest != NO_EDGE)])
            rest = rest[~seen[rest]]
            seen[rest], parent[rest] = True, 0
            order[filled : filled + rest.size] = rest
            filled += rest.size
            level_starts.append(filled)
        filled = _breadth_first(graph, order=order, seen=seen, parent=parent, level_starts=level_starts, filled=filled)
    return Tree(parent, order[:filled], _distinct(level_starts))


def _breadth_first(
    graph: KindGraph,
    *,
    order: NDArray[np.uint32],
    seen: NDArray[np.bool_],
    parent: NDArray[np.uint32],
    level_starts: list[int],
    filled: int,
) -> int:
    """Expand level by level from the last level in order until nothing new is reached."""
    while level_starts[-1] > level_starts[-2]:
        frontier = order[level_starts[-2] : level_starts[-1]]
        for first in range(0, frontier.size, _BATCH_NODES):
            nodes = frontier[first : first + _BATCH_NODES].astype(np.int64)
            starts = _edge_starts(graph, nodes)
            counts = graph.edge_end[nodes].astype(np.int64) - starts
            for part in _batches(counts):
                reached = _expand(graph, nodes[part], starts[part], counts[part], seen=seen, parent=parent)
                order[filled : filled + reached.size] = reached
                filled += reached.size
        level_starts.append(filled)
    return filled


def _distinct(starts: list[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(starts))


def _expand(
    graph: KindGraph,
    nodes: NDArray[np.int64],
    starts: NDArray[np.int64],
    counts: NDArray[np.int64],
    *,
    seen: NDArray[np.bool_],
    parent: NDArray[np.uint32],
) -> NDArray[np.uint32]:
    """Mark the unseen targets of these nodes' edges; returns them (part of the next level)."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.uint32)
    # Edge indices of every node in the batch: its start, then +1 per edge.
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)
    sources = np.repeat(np.arange(nodes.size), counts)
    targets = graph.edge_to[offsets]
    fresh = targets != NO_EDGE
    fresh[fresh] = ~seen[targets[fresh]]
    targets, sources = targets[fresh], sources[fresh]
    reached, first = np.unique(targets, return_index=True)
    seen[reached] = True
    parent[reached] = nodes[sources[first]]
    return reached


def path_to(tree: Tree, node: int) -> tuple[int, ...] | None:
    """Nodes from the root's child down to node; None when node is not reachable from the root."""
    nodes = [node]
    while node != 0:
        node = int(tree.parent[node])
        if node == int(NO_NODE):
            return None
        nodes.append(node)
    nodes.reverse()
    return tuple(nodes[1:]) if len(nodes) > 1 else (nodes[0],)
