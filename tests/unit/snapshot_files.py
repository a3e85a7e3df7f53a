"""Writing small V8 heap snapshots by hand, in the format Node 20 writes (for the heapsnap tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

NODE_TYPES = [
    "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
    "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape",
]  # fmt: skip
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]
NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]


@dataclass
class SnapshotFile:
    """Nodes and edges by index; node 0 is the synthetic root, as in every V8 snapshot."""

    nodes: list[tuple[str, str, int, int]] = field(default_factory=list)  # type, name, id, self size
    edges: dict[int, list[tuple[str, str | int, int]]] = field(default_factory=dict)  # type, name, target
    locations: list[tuple[int, int, int, int]] = field(default_factory=list)  # node, script, line, column

    def __post_init__(self) -> None:
        self.node("synthetic", "", 1, 0)

    def node(self, type_name: str, name: str, node_id: int, size: int = 16) -> int:
        self.nodes.append((type_name, name, node_id, size))
        return len(self.nodes) - 1

    def edge(self, source: int, target: int, name: str | int = "x", type_name: str = "property") -> None:
        self.edges.setdefault(source, []).append((type_name, name, target))

    def document(self) -> dict[str, object]:
        strings: list[str] = ["<dummy>"]

        def string(text: str) -> int:
            if text not in strings:
                strings.append(text)
            return strings.index(text)

        nodes: list[int] = []
        for index, (type_name, name, node_id, size) in enumerate(self.nodes):
            edge_count = len(self.edges.get(index, []))
            nodes += [NODE_TYPES.index(type_name), string(name), node_id, size, edge_count, 0, 0]
        edges: list[int] = []
        for index in range(len(self.nodes)):
            for type_name, name, target in self.edges.get(index, []):
                name_field = name if isinstance(name, int) else string(name)
                edges += [EDGE_TYPES.index(type_name), name_field, target * len(NODE_FIELDS)]
        meta = {
            "node_fields": NODE_FIELDS,
            "node_types": [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
            "edge_fields": ["type", "name_or_index", "to_node"],
            "edge_types": [EDGE_TYPES, "string_or_number", "node"],
            "location_fields": ["object_index", "script_id", "line", "column"],
        }
        header = {"meta": meta, "node_count": len(self.nodes), "edge_count": len(edges) // 3, "trace_function_count": 0}
        locations = [value for n, s, line, c in self.locations for value in (n * len(NODE_FIELDS), s, line, c)]
        return {
            "snapshot": header,
            "nodes": nodes,
            "edges": edges,
            "trace_function_infos": [],
            "trace_tree": [],
            "samples": [],
            "locations": locations,
            "strings": strings,
        }

    def write(self, path: Path, *, indent: int | None = None) -> Path:
        path.write_text(json.dumps(self.document(), indent=indent), encoding="utf-8")
        return path
