"""A .heapsnapshot file -> HeapGraph, in one streaming pass with memory bounded by the graph.

Only what the diff needs is kept, in fixed-width numpy arrays: per node its type, name index,
id, self size and where its edges end; per edge its target (weak edges dropped: they retain
nothing); the closures' source locations; and, of the string table, only the names of non-string
nodes (a string node's name is its content, often most of the table). About 26 bytes per node and
4 per edge: ~230 MB for the ~5 M nodes and 13 M edges of a 200 MB heap (`make bench`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from harness.heapsnap.classes import PrototypeEdges, name_by_class
from harness.heapsnap.stream import CHUNK_BYTES, JsonStream, SnapshotFormatError, decode_string

NO_EDGE = np.uint32(0xFFFFFFFF)
_U32_MAX = 0xFFFFFFFF
# Node types whose name is the string's content or says nothing about the object's kind.
STRINGISH = frozenset({"string", "concatenated string", "sliced string", "number", "code", "bigint"})
_NODE_FIELDS = ("type", "name", "id", "self_size", "edge_count")
_EDGE_FIELDS = ("type", "name_or_index", "to_node")


@dataclass(frozen=True)
class Meta:
    """The snapshot's own description of its arrays (snapshot.meta), and their lengths."""

    node_fields: tuple[str, ...]
    node_types: tuple[str, ...]
    edge_fields: tuple[str, ...]
    edge_types: tuple[str, ...]
    node_count: int
    edge_count: int
    location_fields: tuple[str, ...] = ()


@dataclass
class HeapGraph:
    """Nodes in file order (index 0 is the synthetic root); `names` holds the kept strings only.
    Mutable: filled as the file streams past, and trimmed by its users as parts stop being needed."""

    meta: Meta
    node_type: NDArray[np.uint8]
    node_name: NDArray[np.uint32]
    node_id: NDArray[np.uint32]
    node_size: NDArray[np.uint32]
    edge_end: NDArray[np.uint32]  # edges of node i are edge_to[edge_end[i-1]:edge_end[i]]
    edge_to: NDArray[np.uint32]  # target node index, NO_EDGE for weak edges
    big_sizes: dict[int, int] = field(default_factory=dict)  # self sizes over 4 GiB, by node
    locations: dict[str, NDArray[np.uint32]] = field(default_factory=dict)  # node, script, line, column
    names: dict[int, str] = field(default_factory=dict)
    # While reading (classes.py): a bit per edge, set for an object's property edges (the last
    # is its __proto__), and the functions' property edges (source, name index, target).
    object_properties: NDArray[np.uint8] = field(default_factory=lambda: np.empty(0, np.uint8))
    function_edges: NDArray[np.uint32] = field(default_factory=lambda: np.empty((0, 3), np.uint32))

    @property
    def node_count(self) -> int:
        return int(self.node_type.size)

    def type_name(self, node: int) -> str:
        return self.meta.node_types[int(self.node_type[node])]

    def name(self, node: int) -> str:
        return self.names.get(int(self.node_name[node]), "")


def _strings(values: Any, what: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SnapshotFormatError(f"snapshot.meta.{what} is not a list of names")
    return tuple(values)


def parse_meta(header: dict[str, Any]) -> Meta:
    try:
        meta = header["meta"]
        meta_obj = Meta(
            node_fields=_strings(meta["node_fields"], "node_fields"),
            node_types=_strings(meta["node_types"][0], "node_types"),
            edge_fields=_strings(meta["edge_fields"], "edge_fields"),
            edge_types=_strings(meta["edge_types"][0], "edge_types"),
            node_count=int(header["node_count"]),
            edge_count=int(header["edge_count"]),
            location_fields=_strings(meta.get("location_fields", []), "location_fields"),
        )
    except (KeyError, IndexError, TypeError, ValueError):
        raise SnapshotFormatError("no snapshot.meta with node and edge fields: not a V8 heap snapshot") from None
    missing = [f for f in _NODE_FIELDS if f not in meta_obj.node_fields]
    missing += [f for f in _EDGE_FIELDS if f not in meta_obj.edge_fields]
    if missing or "weak" not in meta_obj.edge_types or meta_obj.node_count < 1:
        raise SnapshotFormatError(f"unsupported snapshot layout (missing {', '.join(missing) or 'edge types'})")
    return meta_obj


class _Builder:
    """Fills a HeapGraph's arrays as the document's sections stream past, in whatever order."""

    def __init__(self) -> None:
        self.meta: Meta | None = None
        self.graph: HeapGraph | None = None
        self.edges_seen = False
        self.pending_strings: list[bytes] | None = None  # a string table that came before the nodes

    def header(self, stream: JsonStream) -> None:
        try:
            header = json.loads(stream.raw_value())
        except ValueError:
            raise stream.fail("unreadable snapshot header") from None
        if not isinstance(header, dict):
            raise stream.fail("snapshot header is not an object")
        self.meta = parse_meta(header)

    def _need_meta(self, stream: JsonStream) -> Meta:
        if self.meta is None:
            raise stream.fail("arrays before the snapshot header")
        return self.meta

    def nodes(self, stream: JsonStream) -> None:
        meta = self._need_meta(stream)
        n = meta.node_count
        graph = HeapGraph(
            meta=meta,
            node_type=np.zeros(n, np.uint8),
            node_name=np.zeros(n, np.uint32),
            node_id=np.zeros(n, np.uint32),
            node_size=np.zeros(n, np.uint32),
            edge_end=np.zeros(n, np.uint32),
            edge_to=np.empty(0, np.uint32),
        )
        fields = meta.node_fields
        col = {name: fields.index(name) for name in _NODE_FIELDS}
        stringish = np.array([t in STRINGISH for t in meta.node_types] + [True] * 256, dtype=bool)
        filled = 0
        for rows in _rows(stream.integers(), len(fields)):
            end = filled + len(rows)
            if end > n:
                raise stream.fail(f"more nodes than the header's node_count {n}")
            types = rows[:, col["type"]]
            if types.size and (types.min() < 0 or types.max() >= len(meta.node_types)):
                raise stream.fail("node type out of range")
            names = np.where(stringish[types], 0, rows[:, col["name"]])
            sizes = rows[:, col["self_size"]]
            for offset in np.flatnonzero(sizes > _U32_MAX):
                graph.big_sizes[filled + int(offset)] = int(sizes[offset])
            graph.node_type[filled:end] = types
            graph.node_name[filled:end] = _u32(stream, names, "node name")
            graph.node_id[filled:end] = _u32(stream, rows[:, col["id"]], "node id")
            graph.node_size[filled:end] = np.minimum(sizes, _U32_MAX)
            graph.edge_end[filled:end] = _u32(stream, rows[:, col["edge_count"]], "edge count")
            filled = end
        if filled != n:
            raise stream.fail(f"{filled} nodes, the header says {n}")
        edge_total = int(graph.edge_end.sum(dtype=np.uint64))
        if edge_total != meta.edge_count or edge_total > _U32_MAX:
            raise stream.fail(f"edge counts add up to {edge_total}, the header says {meta.edge_count}")
        np.cumsum(graph.edge_end, out=graph.edge_end)
        self.graph = graph

    def edges(self, stream: JsonStream) -> None:
        graph = self.graph
        if graph is None:
            raise stream.fail("edges before nodes (unsupported order)")
        meta = graph.meta
        fields = meta.edge_fields
        type_col, to_col = fields.index("type"), fields.index("to_node")
        weak = meta.edge_types.index("weak")
        node_width = len(meta.node_fields)
        graph.edge_to = np.empty(meta.edge_count, np.uint32)
        prototypes = PrototypeEdges(graph, type_col, fields.index("name_or_index"))
        filled = 0
        for rows in _rows(stream.integers(), len(fields)):
            end = filled + len(rows)
            if end > meta.edge_count:
                raise stream.fail(f"more edges than the header's edge_count {meta.edge_count}")
            to_field = rows[:, to_col]
            if to_field.size and (to_field.min() < 0 or to_field.max() >= meta.node_count * node_width):
                raise stream.fail("edge to a node that does not exist")
            if np.any(to_field % node_width):
                raise stream.fail("edge target not at a node boundary")
            targets = (to_field // node_width).astype(np.uint32)
            targets[rows[:, type_col] == weak] = NO_EDGE
            graph.edge_to[filled:end] = targets
            prototypes.add(filled, rows, targets)
            filled = end
        if filled != meta.edge_count:
            raise stream.fail(f"{filled} edges, the header says {meta.edge_count}")
        prototypes.finish()
        self.edges_seen = True

    def locations(self, stream: JsonStream) -> None:
        meta = self._need_meta(stream)
        fields = meta.location_fields or ("object_index", "script_id", "line", "column")
        wanted = [name for name in ("object_index", "script_id", "line", "column") if name in fields]
        parts: dict[str, list[NDArray[np.uint32]]] = {name: [] for name in wanted}
        for rows in _rows(stream.integers(), len(fields)):
            for name in wanted:
                parts[name].append(_u32(stream, rows[:, fields.index(name)], "location").astype(np.uint32))
        if self.graph is None or "object_index" not in parts or not parts["object_index"]:
            return
        columns = {name: np.concatenate(chunks) for name, chunks in parts.items()}
        del parts
        node_width = len(meta.node_fields)
        nodes = columns.pop("object_index") // np.uint32(node_width)
        if nodes.size and nodes.max() >= meta.node_count:
            raise stream.fail("location of a node that does not exist")
        self.graph.locations = {"node": nodes, **columns}

    def strings(self, stream: JsonStream) -> None:
        if self.graph is None:
            # Another writer's order: keep the table's raw tokens until the nodes say which we need.
            self.pending_strings = list(stream.string_tokens())
            return
        self.graph.names = _kept_names(self.graph, enumerate(stream.string_tokens()))

    def finish(self, stream: JsonStream) -> HeapGraph:
        if self.graph is None or not self.edges_seen:
            raise stream.fail("no nodes or edges: not a V8 heap snapshot")
        if self.pending_strings is not None:
            self.graph.names = _kept_names(self.graph, enumerate(self.pending_strings))
        name_by_class(self.graph)
        return self.graph


def _u32(stream: JsonStream, values: NDArray[np.int64], what: str) -> NDArray[np.int64]:
    if values.size and (values.min() < 0 or values.max() > _U32_MAX):
        raise stream.fail(f"{what} out of range")
    return values


def _rows(chunks: Any, width: int) -> Any:
    """Integer chunks -> (rows, width) blocks; a row cut by a chunk border waits for the next."""
    carry = np.empty(0, dtype=np.int64)
    for chunk in chunks:
        values = np.concatenate((carry, chunk)) if carry.size else chunk
        whole = values.size - values.size % width
        carry = values[whole:].copy()
        if whole:
            yield values[:whole].reshape(-1, width)
    if carry.size:
        raise SnapshotFormatError(f"an array's length is not a multiple of its {width} fields")


def _kept_names(graph: HeapGraph, tokens: Any) -> dict[int, str]:
    """Decode only the strings that name a non-string node: the kinds the summary groups by."""
    edge_names = graph.function_edges[:, 1]
    wanted = np.zeros(max(int(graph.node_name.max()), int(edge_names.max(initial=0))) + 1, dtype=bool)
    wanted[graph.node_name] = True
    wanted[edge_names] = True
    names = {}
    for index, token in tokens:
        if index < wanted.size and wanted[index]:
            names[index] = decode_string(token)
    return names


def read_graph(path: Path, chunk_bytes: int = CHUNK_BYTES) -> HeapGraph:
    """Parse a .heapsnapshot; SnapshotFormatError (one line) when it is not one, OSError when unreadable."""
    builder = _Builder()
    with path.open("rb") as handle:
        stream = JsonStream(handle, chunk_bytes)
        if stream.peek() != ord("{"):
            raise SnapshotFormatError(f"{path.name} is not JSON (a .heapsnapshot starts with '{{')")
        stream.expect(b"{")
        handlers = {
            "snapshot": builder.header,
            "nodes": builder.nodes,
            "edges": builder.edges,
            "locations": builder.locations,
            "strings": builder.strings,
        }
        while stream.peek() != ord("}"):
            key = stream.string()
            stream.expect(b":")
            handlers.get(key, _skip)(stream)
            if stream.peek() == ord(","):
                stream.pos += 1
            elif stream.peek() != ord("}"):
                raise stream.fail("expected ',' or '}'")
        return builder.finish(stream)


def _skip(stream: JsonStream) -> None:
    stream.skip_value()
