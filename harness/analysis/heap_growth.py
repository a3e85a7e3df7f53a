"""Which kinds of object the heap gained between two snapshots: the evidence a failing memory
check carries to point at the culprit (harness/heapsnap computes it from the snapshot files)."""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    objects_* and bytes_* are the kind's whole count and self size in each snapshot."""

    kind: str
    new_roots: int
    retained_bytes: int
    objects_before: int
    objects_after: int
    bytes_before: int
    bytes_after: int
    carries: tuple[str, ...] = ()
    paths: tuple[RetainerPath, ...] = ()

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
