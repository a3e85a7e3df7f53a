"""The values analysis works on and returns: curves in, checks and a verdict out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Curve:
    """A metric's samples: seconds since run start and values, in time order."""

    t_s: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class Span:
    """The part of the run a check was measured on, in seconds since run start."""

    start_s: float
    end_s: float


@dataclass(frozen=True)
class LoadStats:
    """What the load generator saw over the whole run."""

    requests: int
    failures: int
    p95_s: float | None


@dataclass(frozen=True)
class TargetExit:
    """The target's death as the runner saw it: when, how (exit code or signal), its last words."""

    t_s: float
    cause: str
    log_tail: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunData:
    """Everything a verdict is computed from.

    curves: recorded metrics by name. load: the load phase. baseline: quiet sampling before the
    load (None when the run had none). cooldown: from load end to the last sample, or None.
    log_counts: occurrences of known warning lines in the target's output.
    target_exit: the target's death during the run, when the runner saw one.
    """

    curves: Mapping[str, Curve]
    load: Span
    baseline: Span | None = None
    cooldown: Span | None = None
    load_stats: LoadStats | None = None
    log_counts: Mapping[str, int] = field(default_factory=dict)
    target_exit: TargetExit | None = None


@dataclass(frozen=True)
class Check:
    """One judged figure with its evidence."""

    name: str
    status: Status
    figure: float | None
    limit: float
    unit: str
    span: Span | None
    detail: str
    metric: str | None = None  # the recorded metric judged, for reports to chart it first
    evidence: tuple[str, ...] = ()  # lines too long for `detail` (a log tail), shown under the table


@dataclass(frozen=True)
class Verdict:
    status: Status
    checks: tuple[Check, ...] = field(default_factory=tuple)


def overall(checks: tuple[Check, ...]) -> Status:
    """Any fail fails; otherwise any inconclusive is inconclusive; no checks at all is inconclusive."""
    statuses = {check.status for check in checks}
    if Status.FAIL in statuses:
        return Status.FAIL
    if Status.INCONCLUSIVE in statuses or not checks:
        return Status.INCONCLUSIVE
    return Status.PASS
