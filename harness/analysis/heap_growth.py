"""Which kinds of object the heap gained between two snapshots: the evidence a failing memory
check carries to point at the culprit (harness/heapsnap computes it from the snapshot files)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from harness.analysis.model import Check, Span, Status, Verdict

# The checks whose failure the growth explains: heap, external/array-buffer memory, RSS.
MEMORY_CHECK_PREFIXES = ("rss", "heap", "external", "array_buffers", "memory", "uss", "pss")
MEMORY_METRIC_PREFIXES = (
    "target.rss",
    "target.uss",
    "target.pss",
    "node.heap",
    "node.external",
    "node.array_buffers",
)


@dataclass(frozen=True)
class RetainerPath:
    """Kinds from a GC root down to a sampled object, and how many of the samples it held."""

    kinds: tuple[str, ...]
    samples: int


@dataclass(frozen=True)
class HeapGrower:
    """A kind of object at the root of the heap's growth: objects of it made since the first
    snapshot and held by older objects (`new_roots`), with the new objects they hold in turn
    (`retained_bytes`, their own included; `carries`: the kinds most of those bytes are).
    When the roots are plain containers (`holder`: "Object", "Array", "Map"...), `kind` is what
    they hold: the kind owning most of the new bytes under each (a Socket under an Object).
    objects_* and bytes_* are `kind`'s whole count and self size in each snapshot."""

    kind: str
    new_roots: int
    retained_bytes: int
    objects_before: int
    objects_after: int
    bytes_before: int
    bytes_after: int
    carries: tuple[str, ...] = ()
    paths: tuple[RetainerPath, ...] = ()
    holder: str = ""

    @property
    def objects_added(self) -> int:
        return self.objects_after - self.objects_before


@dataclass(frozen=True)
class HeapGrowth:
    """The diff of two snapshots: growers beyond noise, the most bytes retained first; what
    counted as noise; the updates handled in between (None when unknown); each snapshot's pause."""

    before: str
    after: str
    span: Span | None
    updates: float | None
    growers: tuple[HeapGrower, ...]
    noise: str
    pauses_s: tuple[float, ...] = ()

    def per_thousand_updates(self, grower: HeapGrower) -> float | None:
        """New root objects of the kind per 1,000 updates handled between the snapshots."""
        if not self.updates or self.updates <= 0:
            return None
        return 1000.0 * grower.new_roots / self.updates


def is_memory_check(check: Check) -> bool:
    return check.name.startswith(MEMORY_CHECK_PREFIXES) or (
        check.metric is not None and check.metric.startswith(MEMORY_METRIC_PREFIXES)
    )


def with_heap_growth(verdict: Verdict, growth: HeapGrowth | None) -> Verdict:
    """Attach the growth to every failing memory check; the rest of the verdict is unchanged."""
    if growth is None:
        return verdict
    checks = tuple(
        replace(check, heap_growth=growth) if check.status is Status.FAIL and is_memory_check(check) else check
        for check in verdict.checks
    )
    return replace(verdict, checks=checks)


def growth_document(growth: HeapGrowth) -> dict[str, Any]:
    """The growth as plain data, for verdict.json (and the cache beside the snapshots)."""
    return {
        "before": growth.before,
        "after": growth.after,
        "span_s": [growth.span.start_s, growth.span.end_s] if growth.span else None,
        "updates": growth.updates,
        "noise": growth.noise,
        "pauses_s": list(growth.pauses_s),
        "growers": [
            {
                "kind": g.kind,
                "new_roots": g.new_roots,
                "per_1000_updates": growth.per_thousand_updates(g),
                "retained_bytes": g.retained_bytes,
                "objects_before": g.objects_before,
                "objects_after": g.objects_after,
                "bytes_before": g.bytes_before,
                "bytes_after": g.bytes_after,
                "carries": list(g.carries),
                "paths": [{"kinds": list(p.kinds), "samples": p.samples} for p in g.paths],
                "holder": g.holder,
            }
            for g in growth.growers
        ],
    }


def growth_from_document(doc: Mapping[str, Any]) -> HeapGrowth:
    """The inverse of growth_document; KeyError/TypeError/ValueError on a document it did not write."""
    span = doc["span_s"]
    growers = tuple(
        HeapGrower(
            kind=str(g["kind"]),
            new_roots=int(g["new_roots"]),
            retained_bytes=int(g["retained_bytes"]),
            objects_before=int(g["objects_before"]),
            objects_after=int(g["objects_after"]),
            bytes_before=int(g["bytes_before"]),
            bytes_after=int(g["bytes_after"]),
            carries=tuple(str(k) for k in g["carries"]),
            paths=tuple(RetainerPath(tuple(str(k) for k in p["kinds"]), int(p["samples"])) for p in g["paths"]),
            holder=str(g.get("holder", "")),
        )
        for g in doc["growers"]
    )
    return HeapGrowth(
        before=str(doc["before"]),
        after=str(doc["after"]),
        span=Span(float(span[0]), float(span[1])) if span else None,
        updates=None if doc["updates"] is None else float(doc["updates"]),
        growers=growers,
        noise=str(doc["noise"]),
        pauses_s=tuple(float(p) for p in doc["pauses_s"]),
    )
