"""The notes beside a verdict: how well the run was measured (the collector's lateness, what it
could not measure, damage to the store), how its updates were accounted, and what the load adds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.analysis.flows import Accounting
from harness.analysis.knee import KNEE_NOTE
from harness.analysis.model import Pause, RecordHealth, RunData
from harness.analysis.pauses import BACKLOG_FACTOR, named
from shared import human
from vocab.metrics import probe_metric, probe_of_error


def collector_notes(health: RecordHealth) -> list[str]:
    """Damage to the store first, then tick lateness (p99), then the metrics that could not be measured."""
    notes = []
    lateness_s = health.lateness_s
    if lateness_s.size:
        p99_s = float(np.sort(lateness_s)[min(lateness_s.size - 1, int(0.99 * lateness_s.size))])
        notes.append(f"collector: {lateness_s.size} ticks, lateness p99 {human.duration(p99_s)}")
    for name, reason in sorted(health.unavailable.items()):
        if (probe := probe_of_error(name)) is not None:
            notes.append(
                f"collector: the {probe} probe raised, first: {reason}; its values are missing on those ticks "
                f"(count: {probe_metric(probe, 'errors_total')})"
            )
            continue
        notes.append(f"not measured: {name} ({reason})")
    return [*health.damage, *notes]


def accounting_notes(accounting: Accounting | None) -> list[str]:
    """What a reader needs beside the table: updates not judged, calls no update could be named for."""
    if accounting is None:
        return []
    notes = [f"accounting: {accounting.updates_total} updates accepted, {accounting.not_judged} sent too close "
             "to the end of the records to be judged "
             f"(completion timeout {human.duration(accounting.timeout_s)})"]  # fmt: skip
    if accounting.unattributed:
        parts = ", ".join(f"{key} {n}" for key, n in sorted(accounting.unattributed.items()))
        notes.append(f"accounting: calls whose correlation keys match no update in its timeout: {parts}")
    for reason, count in sorted(accounting.apart.items()):
        notes.append(f"accounting: {count} calls counted apart, not failed: {reason}")
    if accounting.unanswered:
        notes.append(f"accounting: {accounting.unanswered_text()} not lost (never accepted) and left out of the "
                     "flows' sums; the calls the service made for them are theirs, never another update's")  # fmt: skip
    return notes


def pause_notes(pauses: Sequence[Pause]) -> list[str]:
    """soak's own pauses of the target: how many, how long, and how the checks treat them."""
    if not pauses:
        return []
    by_cause: dict[str, list[float]] = {}
    for pause in pauses:
        by_cause.setdefault(pause.cause, []).append(pause.duration_s)
    parts = ", ".join(f"{cause} {len(d)} x (longest {max(d):.2f} s)" for cause, d in sorted(by_cause.items()))
    total_s = sum(pause.duration_s for pause in pauses)
    return [
        f"soak paused the target {len(pauses)} times, {total_s:.1f} s in all ({parts}; events.jsonl target_pause): "
        f"checks judged on the run's clock leave each pause and its backlog ({BACKLOG_FACTOR:g} x its length, at "
        f"least a window) apart and name it; longest: {named(pauses, 3)}"
    ]


def verdict_notes(data: RunData) -> tuple[str, ...]:
    """Every note of a verdict, in the order a reader needs them."""
    notes = [*data.notes, *collector_notes(data.health), *accounting_notes(data.accounting), *data.heap_notes]
    notes += pause_notes(data.pauses)
    if data.knee is not None:
        notes += [KNEE_NOTE, f"knee: {data.knee.verdict}"]
    return tuple(notes)
