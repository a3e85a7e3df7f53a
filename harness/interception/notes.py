"""What a report should say about interception, from run.json and events.jsonl (pure, no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from harness.documents.events import EgressRefusedEvent, Event
from harness.documents.run_info import InterceptionRecord


def egress_refusals(events: Iterable[Event]) -> Counter[str]:
    """Refused connections by "host:port", from the preload's and the proxy's events."""
    return Counter(f"{e.host}:{e.port}" for e in events if isinstance(e, EgressRefusedEvent))


def interception_notes(record: InterceptionRecord | None, events: Iterable[Event]) -> list[str]:
    """One line per thing a reader of the verdict must know: the mode, its caveat, refused egress.
    record: run.json's `interception` (None in runs from before it was written)."""
    record = record or InterceptionRecord()
    notes = []
    if record.mode:
        notes.append(f"upstream interception: {record.mode}")
    if record.note:
        notes.append(record.note)
    if record.mode and record.preload_pids == []:
        notes.append(
            f"egress guard: none; the target did not load the Node preload (not a Node process, or its start "
            f"replaced NODE_OPTIONS), so nothing stopped connections off the machine in {record.mode} mode"
        )
    refused = egress_refusals(events)
    if refused:
        hosts = ", ".join(f"{address} ×{count}" for address, count in refused.most_common(5))
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        total = sum(refused.values())
        notes.append(f"egress guard refused {total} connection(s) off the machine: {hosts}{more} (events.jsonl)")
    return notes
