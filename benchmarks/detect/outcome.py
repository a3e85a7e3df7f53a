"""What a cell's verdicts say: which checks failed at each prefix of the load, when the leak was
first found and by what, and which checks cried wolf on a clean or benign run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.analysis.model import Status, Verdict
from harness.analysis.rules import RULES

# Checks on timing, not on resources or work: on a shared machine they fail with its load (the
# collector's forced GC and a starved CPU stall the event loop), so they are reported apart and
# neither count as finding a leak nor as a false alarm about one.
TIMING_CHECKS = ("latency_p95", "loop_delay_p99", "e2e_latency_p95")


def is_timing(name: str) -> bool:
    return any(name == check or name.startswith(f"{check}.") for check in TIMING_CHECKS)


# Checks on what the service holds (memory, fds, sockets, clients, handles, files, connections), as
# against checks on its work (errors, lost updates, calls per update): names or name prefixes.
RESOURCE_CHECKS = (
    *(rule.check for rule in RULES if not is_timing(rule.check)),
    "listener_",
    "connection_churn",
    "metric.",
)


def is_resource(name: str) -> bool:
    return name.startswith(RESOURCE_CHECKS)


@dataclass(frozen=True)
class Judged:
    """One verdict reduced to names: after load_s seconds of load (None: the whole run, cool-down
    included)."""

    load_s: float | None
    failed: tuple[str, ...]
    timing_failed: tuple[str, ...]
    screened: tuple[str, ...]  # the resource screen's findings (inconclusive)

    @classmethod
    def of(cls, load_s: float | None, verdict: Verdict) -> Judged:
        failing = [check.name for check in verdict.checks if check.status is Status.FAIL]
        screened = tuple(
            check.name for check in verdict.checks
            if check.status is Status.INCONCLUSIVE and check.name.startswith("screen.")
        )  # fmt: skip
        return cls(
            load_s,
            tuple(name for name in failing if not is_timing(name)),
            tuple(name for name in failing if is_timing(name)),
            screened,
        )


@dataclass(frozen=True)
class CellOutcome:
    """A cell's record in the results file."""

    cell: str
    run_dir: str
    recorded_load_s: float
    stopped_early: bool  # stopped when a prefix failed (the cap was not reached)
    updates_per_s: float | None  # accepted updates per second of load, from updates.jsonl
    load_average: tuple[float, float]  # the machine's 1-minute load average: mean and highest
    prefixes: tuple[Judged, ...]
    final: Judged | None  # the run's own verdict (cool-down included) when it ran to its end
    error: str | None = None
    finished_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> CellOutcome:
        def judged(item: dict[str, Any] | None) -> Judged | None:
            if item is None:
                return None
            return Judged(item["load_s"], *(tuple(item[key]) for key in ("failed", "timing_failed", "screened")))

        prefixes = tuple(j for j in (judged(item) for item in doc["prefixes"]) if j is not None)
        fields = {key: doc[key] for key in ("cell", "run_dir", "recorded_load_s", "stopped_early", "updates_per_s")}
        return cls(
            **fields,
            load_average=(float(doc["load_average"][0]), float(doc["load_average"][1])),
            prefixes=prefixes,
            final=judged(doc.get("final")),
            error=doc.get("error"),
            finished_at=doc.get("finished_at", ""),
            extra=dict(doc.get("extra", {})),
        )

    def first_failure(self) -> Judged | None:
        """The first prefix (or else the whole run) where a check on resources or work failed."""
        return next((j for j in self.judgements() if j.failed), None)

    def judgements(self) -> Iterable[Judged]:
        yield from self.prefixes
        if self.final is not None:
            yield self.final

    def wolf_cries(self) -> set[str]:
        """Checks on resources or work that failed at any prefix or at the end."""
        return {name for judged in self.judgements() for name in judged.failed}

    def resource_failures(self) -> set[str]:
        """Checks on what the service holds that failed at any prefix or at the end."""
        return {name for name in self.wolf_cries() if is_resource(name)}

    def timing_failures(self) -> set[str]:
        return {name for judged in self.judgements() for name in judged.timing_failed}


def checkpoints_s(cap_s: float, every_s: float) -> list[float]:
    """Lengths of load at which the run is judged as if it had stopped: every every_s up to the cap."""
    count = int(cap_s // every_s)
    return [every_s * k for k in range(1, count + 1) if every_s * k < cap_s]


def merged(prefixes: Sequence[Judged]) -> tuple[Judged, ...]:
    return tuple(sorted(prefixes, key=lambda j: j.load_s or 0.0))
