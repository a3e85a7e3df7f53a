"""The diff names the leaking kind a user can act on, on hand-made heaps: an object by the class
whose prototype it has (not by a `constructor` a mixin overwrote), and a plain object leaked as a
holder by the kind of object owning most of what it holds."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path

from harness.heapsnap.diff import diff_files
from harness.heapsnap.snapshot import load_snapshot
from tests.unit.snapshot_files import SnapshotFile

OLD = 3  # objects of each leaking kind already there in the first snapshot


class Heap:
    """A heap with a global object, an old array `kept` the leaks go into, and classes."""

    def __init__(self) -> None:
        self.snap = SnapshotFile()
        self.ids: Iterator[int] = count(100001, 2)
        self.glob = self.node("object", "global / ", 3)
        self.snap.edge(0, self.glob, "global", "shortcut")
        self.kept = self.node("object", "Array", 5)
        self.snap.edge(self.glob, self.kept, "kept")
        self.store = self.node("array", "(object elements)", 7)
        self.snap.edge(self.kept, self.store, "elements", "internal")
        self.slots = 0
        self.prototypes: dict[str, int] = {}

    def node(self, type_name: str, name: str, node_id: int | None = None, size: int = 32) -> int:
        return self.snap.node(type_name, name, node_id if node_id is not None else next(self.ids), size)

    def cls(self, name: str, node_id: int, prototype_name: str | None = None) -> int:
        """A function `name` (ids from node_id) and its prototype object, which V8 names
        prototype_name (a mixin can make it another class's name)."""
        fn = self.node("closure", name, node_id, 64)
        self.snap.edge(self.glob, fn, name)
        proto = self.node("object", prototype_name or name, node_id + 2, 24)
        self.snap.edge(fn, proto, "prototype")
        self.prototypes[name] = proto
        return proto

    def instance(self, v8_name: str, cls: str, size: int, node_id: int | None = None) -> int:
        obj = self.node("object", v8_name, node_id, size)
        self.snap.edge(obj, self.node("object", "Object", None if node_id is None else node_id + 1, 40), "options")
        self.snap.edge(obj, self.prototypes[cls], "__proto__")  # after the own properties, as V8 writes it
        self.snap.edge(obj, self.node("object shape", "system / Map", None, 72), "map", "internal")
        return obj

    def keep(self, obj: int) -> None:
        self.snap.edge(self.store, obj, self.slots, "element")
        self.slots += 1


def mixin_heap(clients: int) -> SnapshotFile:
    """ioredis's shape: `class Redis extends Commander`, EventEmitter's prototype members copied
    onto Redis.prototype, its `constructor` too, so V8 names every client EventEmitter. Real
    emitters and Buffers (whose prototype two functions claim, Buffer and FastBuffer) beside."""
    heap = Heap()
    heap.cls("EventEmitter", 51)
    heap.cls("Commander", 55)
    heap.cls("Redis", 59, prototype_name="Commander")
    buffers = heap.cls("Buffer", 63)
    heap.snap.edge(heap.node("closure", "FastBuffer", 67, 64), buffers, "prototype")
    for i in range(20):  # emitters that live on, made by the same old code
        heap.keep(heap.instance("EventEmitter", "EventEmitter", 80, node_id=101 + 4 * i))
    for i in range(clients):
        heap.keep(heap.instance("EventEmitter", "Redis", 192, node_id=301 + 4 * i if i < OLD else None))
        heap.keep(heap.instance("Buffer", "Buffer", 96, node_id=601 + 4 * i if i < OLD else None))
    return heap.snap


def test_an_object_is_named_by_the_class_whose_prototype_it_has(tmp_path: Path) -> None:
    before = mixin_heap(OLD).write(tmp_path / "a.heapsnapshot")
    after = mixin_heap(OLD + 150).write(tmp_path / "b.heapsnapshot")
    kinds = load_snapshot(after).summary.kinds
    # The clients are counted apart from the real emitters; a prototype keeps V8's name, and
    # a prototype two functions claim (Buffer's) names nothing new.
    assert kinds["Redis"].count == OLD + 150 and kinds["EventEmitter"].count == 20 + 1, kinds
    assert kinds["Commander"].count == 2 and kinds["Buffer"].count == OLD + 150 + 1, kinds
    growth = diff_files(before, after)
    assert [g.kind for g in growth.growers] == ["Redis", "Buffer"], growth.growers
    top = growth.growers[0]
    assert top.new_roots == 150 and top.holder == ""
    assert (top.objects_before, top.objects_after) == (OLD, OLD + 150)
    assert top.paths and top.paths[0].kinds[-3:] == ("Array", "(object elements)", "Redis"), top.paths


def holder_heap(holders: int) -> SnapshotFile:
    """A plain object per request pushed into an old array, holding two Agents (each owning
    some lists); under one of them a socket, TLS for every other request (owning more parts),
    with its stream state and listeners' closures. One holder in ten also holds a big Cache."""
    heap = Heap()
    for name in ("Agent", "Socket", "TLSSocket", "WritableState", "Cache"):
        heap.cls(name, 11 + 4 * len(heap.prototypes))
    for i in range(holders):
        old = i < OLD
        holder = heap.node("object", "Object", 2001 + 100 * i if old else None, 40)
        heap.keep(holder)
        ids = count(2003 + 100 * i, 2) if old else heap.ids
        agents = [heap.instance("Agent", "Agent", 176, node_id=next(ids)) for _ in range(2)]
        for agent in agents:
            heap.snap.edge(holder, agent, "agent")
            for part in range(4):
                heap.snap.edge(agent, heap.node("object", "Object", next(ids), 64), f"list{part}")
        kind = "TLSSocket" if i % 2 else "Socket"
        socket = heap.instance(kind, kind, 328, node_id=next(ids))
        heap.snap.edge(agents[0], socket, "freeSocket")
        heap.snap.edge(socket, heap.instance("WritableState", "WritableState", 112, node_id=next(ids)), "state")
        for part in range(12 if i % 2 else 8):
            piece = heap.node("object", "Object", next(ids), 64)
            heap.snap.edge(socket, piece, f"part{part}")
            heap.snap.edge(piece, heap.node("closure", "onFree", next(ids), 64), "listener")
        if i % 10 == 0:
            cache = heap.instance("Cache", "Cache", 64, node_id=next(ids))
            heap.snap.edge(holder, cache, "cache")
            heap.snap.edge(cache, heap.node("object", "Object", next(ids), 20000), "entries")
    return heap.snap


def test_leaked_holders_are_named_each_by_the_kind_owning_most_of_what_it_holds(tmp_path: Path) -> None:
    before = holder_heap(OLD).write(tmp_path / "a.heapsnapshot")
    after = holder_heap(OLD + 300).write(tmp_path / "b.heapsnapshot")
    growth = diff_files(before, after)
    named = [(g.kind, g.holder, g.new_roots) for g in growth.growers]
    # Each holder is named by its socket, which owns its parts and their closures: more than
    # its two Agents together, though the Agents of all holders own more than either kind of
    # socket does. The holders with a big Cache are named by it (20 kB each: beyond noise).
    assert named == [("TLSSocket", "Object", 150), ("Socket", "Object", 120), ("Cache", "Object", 30)], named
    top = growth.growers[0]
    assert top.objects_added == 150 and "Agent" in top.carries and "TLSSocket" not in top.carries, top
    # Paths lead to the sampled sockets, through the holder and the Agent.
    assert top.paths and all(p.kinds[-3:] == ("Object", "Agent", "TLSSocket") for p in top.paths), top.paths


def test_a_holder_of_only_plain_data_keeps_its_own_kind(tmp_path: Path) -> None:
    def strings(holders: int) -> SnapshotFile:
        heap = Heap()
        for i in range(holders):
            holder = heap.node("object", "Object", 2001 + 4 * i if i < OLD else None, 40)
            heap.keep(holder)
            heap.snap.edge(holder, heap.node("string", f"text {i}", 2003 + 4 * i if i < OLD else None, 4000), "text")
        return heap.snap

    growth = diff_files(
        strings(OLD).write(tmp_path / "a.heapsnapshot"), strings(OLD + 150).write(tmp_path / "b.heapsnapshot")
    )
    assert [(g.kind, g.holder) for g in growth.growers] == [("Object", "")], growth.growers
