"""Per-update accounting as analysis sees it: each flow's updates, window by window, with what they
cost and whether they completed (built by harness/accounting/join.py from the run's records)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.analysis.model import Span

# The contract's flows (§1.1) as accounted: what the scenario sent, and for voice, how it ended
# (its transcript forwarded, answered locally as a command, or failed).
# The C flow: a cursor-runner callback of an update already counted in its own flow, not an update sent.
CALLBACK_FLOW = "callback"
FLOWS = ("text", "edited", "local", "voice_forwarded", "voice_local", "voice_failed", "callback_query", "callback")
KIND_FLOW = {"text": "text", "edited": "edited", "command": "local", "no_text": "local", "callback": "callback_query"}
# Bucket upper bounds of end-to-end latency (s): memory per window is fixed whatever the count.
LATENCY_BOUNDS_S = tuple(round(0.001 * 1.25**i, 4) for i in range(62))  # 1 ms .. ~15 min


def latency_bucket(latency_s: float) -> int:
    return bisect_left(LATENCY_BOUNDS_S, latency_s)


def latency_quantile_s(counts: tuple[int, ...], q: float) -> float | None:
    """Upper bound of the bucket holding quantile q; None when empty (or past the last bound)."""
    total = sum(counts)
    if total == 0:
        return None
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= q * total and count:
            return LATENCY_BOUNDS_S[index] if index < len(LATENCY_BOUNDS_S) else None
    return None


@dataclass(frozen=True)
class FlowWindow:
    """One flow's updates sent in one window (those a fault touched, or the others): outcomes, and the
    calls and jobs attributed to them."""

    flow: str
    span: Span
    updates: int
    completed: int
    lost: int  # accepted, never completed, and no injected fault explains it
    explained: int  # not completed, but a faulted call or a fault window explains it
    calls: Mapping[str, int]  # "telegram.sendMessage" -> calls attributed to these updates
    jobs: int  # distinct cursor-runner request ids
    forwarded: int  # updates with at least one job
    multi_job: int  # updates with more than one job
    latency_counts: tuple[int, ...]
    # Updates an injected fault may have touched (a faulted call, or sent during a fault window),
    # judged apart from the steady state: a window of the run has up to two FlowWindows per flow.
    in_fault: bool = False

    def calls_of(self, upstream: str) -> int:
        return sum(n for key, n in self.calls.items() if key.split(".", 1)[0] == upstream)


@dataclass(frozen=True)
class FaultWork:
    """The updates sent during one fault window (its own span, no grace) and how they ended: what the
    fault did to the work, beside the flow table's steady and fault parts."""

    span: Span
    updates: int  # judged updates sent inside the window
    completed: int  # their flow's final call was seen, as the flow table counts completion
    forwarded: int  # at least one cursor-runner job
    calls: Mapping[str, int]  # "telegram.sendMessage" -> calls attributed to them

    @property
    def not_completed(self) -> int:
        return self.updates - self.completed

    def calls_of(self, upstream: str) -> int:
        return sum(n for key, n in self.calls.items() if key.split(".", 1)[0] == upstream)


@dataclass(frozen=True)
class Accounting:
    windows: tuple[FlowWindow, ...]
    timeout_s: float
    updates_total: int
    unattributed: Mapping[str, int] = field(default_factory=dict)  # calls no update could be found for
    not_judged: int = 0  # sent too close to the end of the records to have had their timeout
    apart: Mapping[str, int] = field(default_factory=dict)  # "upstream.route: why no update is named" -> calls
    faults: tuple[FaultWork, ...] = ()  # one per fault span the join was given, in its order
    # Updates sent without a webhook answer that never completed, by why (e.g. "load stopped"): the
    # service never accepted them, so they are not lost; those that completed count as any other.
    unanswered: Mapping[str, int] = field(default_factory=dict)

    def unanswered_text(self) -> str:
        """'12 updates sent without a webhook answer and never completed (load stopped 12):'."""
        whys = ", ".join(f"{why} {n}" for why, n in sorted(self.unanswered.items()))
        return f"{sum(self.unanswered.values())} updates sent without a webhook answer and never completed ({whys}):"
