"""Two snapshots -> the kinds of object at the root of the heap's growth, with retainer paths.

Objects the later snapshot has and the earlier had not (V8 keeps an object's id between the
snapshots of one session) are new. Each new object hangs, on its shortest path from a GC root,
under a first new object held by an old one: a *leak root* (the Redis client pushed into an old
array, the Timeout in an old list, the closure in an old listener array). V8's own structures are
looked through (a Map's table reallocated as it grows is new, the entries under it are the roots)
and never are roots. Growth is ranked by kind of leak root: how many there are, and the bytes of
the new objects they hold, so one leaked client with its socket, parser and buffers is one line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from harness.analysis.heap_growth import HeapGrower, HeapGrowth, RetainerPath
from harness.analysis.model import Span
from harness.heapsnap.owners import Named, name_containers
from harness.heapsnap.paths import NO_NODE, Tree, path_to, shortest_path_tree
from harness.heapsnap.snapshot import Earlier, LoadedSnapshot, load_earlier, load_snapshot
from harness.heapsnap.summary import KindGraph, KindStats

SAMPLES_PER_KIND = 9
PATHS_PER_GROWER = 3
CARRIED_KINDS = 5
TOP_GROWERS = 10
EMBEDDER_PREFIX = "Node / "
MIN_UNEXPLAINED = 100  # objects gained that are not new: more means the ids were reset
IDS_RESET = (
    "object ids were reset between the snapshots (an inspector session closed meanwhile), so new objects "
    "could not be told from old: kinds are listed by how many objects they gained, without leak roots or paths"
)
_CHUNK = 1 << 18
_NONE = KindStats(0, 0)


@dataclass(frozen=True)
class Noise:
    """What a healthy service's heap gains between two snapshots without leaking: objects of
    work in flight (the end snapshot waits for the load to drain), connections and objects
    replaced by new ones (churn: counted against the kind's net growth), pools and caches
    filling to their size, code loaded late, V8's own structures (never listed). None of it
    grows with the work done. A kind of leak root grows beyond noise when it has at least
    `min_roots` new roots and `roots_per_thousand` per 1,000 updates handled, or when they hold
    at least `min_bytes` and `bytes_per_update` per update handled."""

    min_roots: int = 100
    roots_per_thousand: float = 20.0
    min_bytes: int = 256 << 10
    bytes_per_update: float = 64.0

    def floors(self, updates: float | None) -> tuple[float, float]:
        count = float(self.min_roots)
        size = float(self.min_bytes)
        if updates and updates > 0:
            count = max(count, self.roots_per_thousand * updates / 1000.0)
            size = max(size, self.bytes_per_update * updates)
        return count, size

    def describe(self, updates: float | None) -> str:
        count, size = self.floors(updates)
        text = f"a kind grows beyond noise with at least {count:.0f} new leak roots"
        text += f" or {size / 2**10:.0f} KiB held by them"
        if updates:
            text += f" ({self.roots_per_thousand:g} per 1,000 updates, {self.bytes_per_update:g} B per update)"
        return text


def leak_roots(graph: KindGraph, tree: Tree, new: NDArray[np.bool_]) -> NDArray[np.uint32]:
    """For each node, the leak root it hangs under (itself for a root); NO_NODE for old objects,
    for what V8 holds for itself (see KindGraph), and for the unreachable."""
    anchor = np.full(graph.node_count, NO_NODE, np.uint32)
    held = np.zeros(graph.node_count, bool)  # old, or held by V8 for itself under old objects
    held[0] = True
    for level in list(tree.levels())[1:]:
        # A level's parents are all in earlier levels, so its nodes can go in any order: in
        # pieces, which bounds the temporary arrays on a wide level.
        for start in range(0, level.size, _CHUNK):
            nodes = level[start : start + _CHUNK]
            parents = tree.parent[nodes]
            by_v8 = held[parents] & (graph.machinery[graph.node_kind[nodes]] | graph.opaque[graph.node_kind[parents]])
            is_new = new[nodes]
            held[nodes] = ~is_new | by_v8
            here = np.where(is_new & held[parents] & ~by_v8, nodes, anchor[parents])
            here[held[nodes]] = NO_NODE
            anchor[nodes] = here
    return anchor


@dataclass(frozen=True)
class _RootKind:
    kind: int
    roots: int  # new objects of the kind held by old ones
    grown: int  # of them, those the kind's net growth accounts for (the rest replaced freed ones)
    retained_bytes: int  # new bytes under them that are growth


def root_kinds(
    graph: KindGraph, anchor: NDArray[np.uint32], new: NDArray[np.bool_], net_growth: NDArray[np.int64]
) -> list[_RootKind]:
    """Kinds of leak root: how many, how many of them are growth, the new bytes they hold.

    New objects are not all growth: a connection that replaced a closed one, a pooled parser
    that replaced a freed one, is churn. Of a kind's new objects, the share its net growth
    accounts for is growth; its roots are counted after its objects held by other roots."""
    size = len(graph.kinds)
    new_count = np.zeros(size, np.int64)
    for start in range(0, graph.node_count, _CHUNK):
        chunk = graph.node_kind[start : start + _CHUNK]
        new_count += np.bincount(chunk[new[start : start + _CHUNK]], minlength=size)
    share = np.clip(net_growth / np.maximum(new_count, 1), 0.0, 1.0)
    roots = np.zeros(size, np.int64)
    under_others = np.zeros(size, np.int64)
    held = np.zeros(size, np.float64)
    for start in range(0, graph.node_count, _CHUNK):
        part = anchor[start : start + _CHUNK]
        under = part != NO_NODE
        nodes = np.flatnonzero(under) + start
        own_kind, root_kind = graph.node_kind[nodes], graph.node_kind[part[under]]
        held += np.bincount(root_kind, weights=graph.node_size[nodes] * share[own_kind], minlength=size)
        is_root = part[under] == nodes
        roots += np.bincount(root_kind[is_root], minlength=size)
        under_others += np.bincount(own_kind[~is_root & (own_kind != root_kind)], minlength=size)
    grown = np.clip(np.minimum(roots, net_growth - under_others), 0, None)
    found = [_RootKind(int(k), int(roots[k]), int(grown[k]), int(held[k])) for k in np.flatnonzero(roots)]
    return sorted(found, key=lambda r: (-r.retained_bytes, -r.grown, graph.kinds[r.kind]))


def _carried(graph: KindGraph, anchor: NDArray[np.uint32], kind: int) -> tuple[str, ...]:
    """The other kinds making up most of the new bytes held under roots of this kind; of V8's
    own kinds only the embedder's native objects ("Node / TCPSocketWrap"): its property and
    element stores, shapes and code say nothing of the program."""
    size = len(graph.kinds)
    held = np.zeros(size, np.float64)
    for start in range(0, graph.node_count, _CHUNK):
        part = anchor[start : start + _CHUNK]
        under = np.flatnonzero(part != NO_NODE)
        mine = under[graph.node_kind[part[under]] == kind] + start
        held += np.bincount(graph.node_kind[mine], weights=graph.node_size[mine], minlength=size)
    held[kind] = 0
    held[graph.machinery & ~np.char.startswith(np.array(graph.kinds, dtype=str), EMBEDDER_PREFIX)] = 0
    top = [k for k in np.argsort(-held, kind="stable")[:CARRIED_KINDS] if held[k] > 0]
    return tuple(graph.kinds[k] for k in top)


def root_nodes(anchor: NDArray[np.uint32]) -> NDArray[np.int64]:
    """The leak roots themselves (each is its own anchor)."""
    parts = []
    for start in range(0, anchor.size, _CHUNK):
        part = anchor[start : start + _CHUNK]
        parts.append(np.flatnonzero(part == np.arange(start, start + part.size, dtype=np.uint32)) + start)
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def _paths(graph: KindGraph, tree: Tree, nodes: NDArray[np.int64]) -> tuple[RetainerPath, ...]:
    """Retainer paths of a few of these nodes, spread over them."""
    picks = nodes[np.unique(np.linspace(0, nodes.size - 1, min(SAMPLES_PER_KIND, nodes.size)).astype(np.int64))]
    shapes = Counter(
        tuple(graph.kinds[int(graph.node_kind[n])] for n in path)
        for node in picks
        if (path := path_to(tree, int(node))) is not None
    )
    return tuple(RetainerPath(kinds, count) for kinds, count in shapes.most_common(PATHS_PER_GROWER))


@dataclass(frozen=True)
class _Walk:
    """The later snapshot's shortest-path tree and each node's leak root."""

    graph: KindGraph
    tree: Tree
    anchor: NDArray[np.uint32]


def _grower(
    walk: _Walk,
    root: _RootKind,
    roots: NDArray[np.int64],
    earlier: Earlier,
    later: LoadedSnapshot,
    *,
    named: Named | None,
) -> HeapGrower:
    kind, samples = root.kind, roots[walk.graph.node_kind[roots] == root.kind]
    if named is not None:  # a plain container: named by what it holds (owners.py)
        kind, samples = named.kind, named.samples
        named = named if named.kind != root.kind else None
    name = walk.graph.kinds[kind]
    before = earlier.summary.kinds.get(name, _NONE)
    after = later.summary.kinds.get(name, _NONE)
    return HeapGrower(
        kind=name,
        new_roots=root.grown,
        retained_bytes=root.retained_bytes,
        objects_before=before.count,
        objects_after=after.count,
        bytes_before=before.self_bytes,
        bytes_after=after.self_bytes,
        carries=tuple(k for k in _carried(walk.graph, walk.anchor, root.kind) if k != name),
        paths=_paths(walk.graph, walk.tree, samples),
        holder="" if named is None else walk.graph.kinds[root.kind],
    )


def _split(
    root: _RootKind, groups: list[Named] | None, count_floor: float, bytes_floor: float
) -> list[tuple[_RootKind, Named | None]]:
    """A container kind's roots as one entry per name (owners.py), each with its share of the
    kind's growth; those beyond noise, or the largest when none is on its own."""
    if not groups:
        return [(root, None)]
    roots = sum(g.roots for g in groups) or 1
    held = sum(g.held_bytes for g in groups) or 1
    parts: list[tuple[_RootKind, Named | None]] = []
    for g in groups:
        share = replace(
            root, grown=round(root.grown * g.roots / roots), retained_bytes=root.retained_bytes * g.held_bytes // held
        )
        parts.append((share, g))
    kept = [(r, g) for r, g in parts if r.grown > 0 and (r.grown >= count_floor or r.retained_bytes >= bytes_floor)]
    return kept or [(root, groups[0])]


def ids_were_reset(earlier: Earlier, later: LoadedSnapshot) -> bool:
    """Whether the object ids cannot tell new objects from old: V8 forgets them whenever an
    inspector session closes (any session: a probe reconnecting, a DevTools window) and numbers
    objects afresh at the next snapshot. With ids kept, every object a kind gained is new; when
    much of the kinds' growth is not, the ids were reset."""
    graph = later.graph
    new_count = np.zeros(len(graph.kinds), np.int64)
    for start in range(0, graph.node_count, _CHUNK):
        part = graph.node_kind[start : start + _CHUNK]
        new_count += np.bincount(part[graph.node_new[start : start + _CHUNK]], minlength=len(graph.kinds))
    before = earlier.summary.kinds
    gained = np.array([later.summary.kinds.get(k, _NONE).count - before.get(k, _NONE).count for k in graph.kinds])
    grown = int(np.clip(gained, 0, None).sum())
    unexplained = int(np.clip(gained - new_count, 0, None).sum())
    return unexplained >= MIN_UNEXPLAINED and unexplained > grown // 5


def _by_count(earlier: Earlier, later: LoadedSnapshot, count_floor: float, bytes_floor: float) -> list[HeapGrower]:
    """Without ids: the program's kinds whose count or size grew beyond noise, by size added."""
    graph = later.graph
    grown = []
    for k, name in enumerate(graph.kinds):
        if graph.machinery[k]:
            continue
        before, after = earlier.summary.kinds.get(name, _NONE), later.summary.kinds.get(name, _NONE)
        added, size = after.count - before.count, after.self_bytes - before.self_bytes
        if added > 0 and (added >= count_floor or size >= bytes_floor):
            grown.append(HeapGrower(name, added, size, before.count, after.count, before.self_bytes, after.self_bytes))
    return sorted(grown, key=lambda g: (-g.retained_bytes, g.kind))[:TOP_GROWERS]


def heap_growth(
    earlier: Earlier,  # its ids are not used: see Earlier.without_ids
    later: LoadedSnapshot,
    *,
    updates: float | None = None,
    span: Span | None = None,
    noise: Noise | None = None,
    pauses_s: tuple[float, ...] = (),
) -> HeapGrowth:
    noise = noise or Noise()
    count_floor, bytes_floor = noise.floors(updates)
    if ids_were_reset(earlier, later):
        return HeapGrowth(
            before=earlier.name,
            after=later.name,
            span=span,
            updates=updates,
            growers=tuple(_by_count(earlier, later, count_floor, bytes_floor)),
            noise=noise.describe(updates) + "; " + IDS_RESET,
            pauses_s=pauses_s,
        )
    graph = later.graph
    tree = shortest_path_tree(graph)
    walk = _Walk(graph, tree, leak_roots(graph, tree, graph.node_new))
    net = np.array(
        [later.summary.kinds.get(k, _NONE).count - earlier.summary.kinds.get(k, _NONE).count for k in graph.kinds]
    )
    found = root_kinds(graph, walk.anchor, graph.node_new, net)
    listed = [r for r in found if r.grown > 0 and (r.grown >= count_floor or r.retained_bytes >= bytes_floor)]
    roots = root_nodes(walk.anchor) if listed else np.empty(0, np.int64)
    named = name_containers(graph, tree, walk.anchor, roots, [r.kind for r in listed])
    entries = [entry for r in listed for entry in _split(r, named.get(r.kind), count_floor, bytes_floor)]
    entries.sort(key=lambda e: (-e[0].retained_bytes, graph.kinds[e[0].kind]))
    # Many roots are the surest sign; bytes alone can be new connections a pool swapped in.
    entries.sort(key=lambda e: e[0].grown < count_floor)
    return HeapGrowth(
        before=earlier.name,
        after=later.name,
        span=span,
        updates=updates,
        growers=tuple(_grower(walk, root, roots, earlier, later, named=n) for root, n in entries[:TOP_GROWERS]),
        noise=noise.describe(updates),
        pauses_s=pauses_s,
    )


def diff_files(before: Path, after: Path) -> HeapGrowth:
    """Two snapshot files of one process (V8 keeps ids within one inspector session); raises
    SnapshotFormatError (one line) for a file that is not a readable snapshot."""
    earlier = load_earlier(before)
    later = load_snapshot(after, earlier)
    return heap_growth(earlier.without_ids(), later)
