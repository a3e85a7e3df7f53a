"""events.jsonl: one JSON record per line, `event` naming its kind (vocab.events.EventKind), `t_s`
on the run's clock and `time` on the wall clock, then the kind's own fields, typed here.

soak's writers emit these models through EventLog; the mocks and the Node preload, which cannot
import the harness, write the same shapes by hand, and every record is checked when read back.
Fields a reader relies on are typed; anything else a record carries is kept as it is.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictFloat, StrictInt

from harness.documents.files import Open, checked
from harness.rundir import EVENTS, RunFileError
from vocab.events import EventKind
from vocab.upstreams import Peer

Number = StrictFloat | StrictInt


class Event(Open):
    """Any record; a kind this version does not know stays an Event (a newer soak wrote it)."""

    event: str
    t_s: Number | None = None  # checked by event_of first, for a plain message
    time: Number | None = None


class PhaseEvent(Event):
    event: Literal[EventKind.PHASE] = EventKind.PHASE
    phase: str  # vocab.events.Phase


class StoppedEvent(Event):
    """A child stopped at the end of the run (the runner), or every child the watchdog stopped."""

    event: Literal[EventKind.STOPPED] = EventKind.STOPPED
    process: str | None = None
    code: StrictInt | None = None


class HelperExitEvent(Event):
    event: Literal[EventKind.HELPER_EXIT] = EventKind.HELPER_EXIT
    process: str
    code: StrictInt | None = None


class TargetExitEvent(Event):
    event: Literal[EventKind.TARGET_EXIT] = EventKind.TARGET_EXIT
    code: StrictInt | None = None
    signal: str | None = None
    cause: str | None = None
    log_tail: list[str] = Field(default_factory=list)


class HarnessStopEvent(Event):
    event: Literal[EventKind.HARNESS_STOP] = EventKind.HARNESS_STOP
    cause: str


class HarnessLostEvent(Event):
    event: Literal[EventKind.HARNESS_LOST] = EventKind.HARNESS_LOST
    stopped: list[str] = Field(default_factory=list)  # the children the watchdog stopped


class HeapSnapshotEvent(Event):
    event: Literal[EventKind.HEAP_SNAPSHOT] = EventKind.HEAP_SNAPSHOT
    file: str  # relative to the run directory
    bytes: StrictInt | None = None
    pause_s: Number = 0.0  # how long the target was paused for it
    gc_s: Number | None = None


class HeapSnapshotFailedEvent(Event):
    event: Literal[EventKind.HEAP_SNAPSHOT_FAILED] = EventKind.HEAP_SNAPSHOT_FAILED
    name: str | None = None  # None: no snapshot could be taken at all
    error: str | None = None


class TargetPauseEvent(Event):
    """soak stopped the target's JavaScript: from start_s (the run's clock) for duration_s, the wall
    time of the inspector call(s), during which the target answered nothing."""

    event: Literal[EventKind.TARGET_PAUSE] = EventKind.TARGET_PAUSE
    cause: str  # vocab.events.PauseCause
    start_s: Number
    duration_s: Number


class FaultWindowEvent(Event):
    """A profile fault's window opening or closing (the mocks write it)."""

    event: Literal[EventKind.FAULT_WINDOW_START, EventKind.FAULT_WINDOW_END]
    upstream: str = "?"
    route: str = "*"
    kind: str = "?"


class MockFaultsEvent(Event):
    """Faults posted to a mock at run time (they replace the previous ones), or cleared."""

    event: Literal[EventKind.MOCK_FAULTS_SET, EventKind.MOCK_FAULTS_CLEARED]
    upstream: str = "?"
    faults: list[dict[str, Any]] = Field(default_factory=list)


class RedisReconnectedEvent(Event):
    """After a Redis down or kill_clients window: how soon the target had clients again
    (after_s), or how long soak waited in vain (waited_s with after_s null)."""

    event: Literal[EventKind.REDIS_TARGET_RECONNECTED] = EventKind.REDIS_TARGET_RECONNECTED
    upstream: str = Peer.REDIS
    after_s: Number | None = None
    waited_s: Number | None = None
    clients: StrictInt | None = None


class PreloadActiveEvent(Event):
    event: Literal[EventKind.PRELOAD_ACTIVE] = EventKind.PRELOAD_ACTIVE
    pid: StrictInt | None = None
    mapped: list[str] = Field(default_factory=list)


class EgressRefusedEvent(Event):
    event: Literal[EventKind.EGRESS_REFUSED] = EventKind.EGRESS_REFUSED
    host: str | None = None
    port: StrictInt | None = None
    pid: StrictInt | None = None


MODELS: dict[str, type[Event]] = {
    EventKind.PHASE: PhaseEvent,
    EventKind.STOPPED: StoppedEvent,
    EventKind.HELPER_EXIT: HelperExitEvent,
    EventKind.TARGET_EXIT: TargetExitEvent,
    EventKind.HARNESS_STOP: HarnessStopEvent,
    EventKind.HARNESS_LOST: HarnessLostEvent,
    EventKind.HEAP_SNAPSHOT: HeapSnapshotEvent,
    EventKind.HEAP_SNAPSHOT_FAILED: HeapSnapshotFailedEvent,
    EventKind.TARGET_PAUSE: TargetPauseEvent,
    EventKind.FAULT_WINDOW_START: FaultWindowEvent,
    EventKind.FAULT_WINDOW_END: FaultWindowEvent,
    EventKind.MOCK_FAULTS_SET: MockFaultsEvent,
    EventKind.MOCK_FAULTS_CLEARED: MockFaultsEvent,
    EventKind.REDIS_TARGET_RECONNECTED: RedisReconnectedEvent,
    EventKind.PRELOAD_ACTIVE: PreloadActiveEvent,
    EventKind.EGRESS_REFUSED: EgressRefusedEvent,
}


def event_of(record: Any, where: str) -> Event:
    """A record as its kind's model; RunFileError (one line) when it is not of that shape."""
    if not isinstance(record, dict):
        raise RunFileError(f"{where}: not a JSON object but {type(record).__name__}")
    if not isinstance(record.get("event"), str):
        raise RunFileError(f"{where}: field 'event' must be a string")
    for field in ("t_s", "time"):
        value = record.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise RunFileError(f"{where}: field {field!r} must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise RunFileError(f"{where}: field {field!r} must be a finite number")
    return checked(MODELS.get(record["event"], Event), record, where)


class EventLog:
    """Appends one JSON line per event and flushes it at once; t_s counts from t0 (monotonic)."""

    def __init__(self, run_dir: Path, t0: float) -> None:
        self._path = run_dir / EVENTS
        self._t0 = t0

    def run_s(self, monotonic_s: float) -> float:
        """A time.monotonic() reading on the run's clock (the t_s of the events)."""
        return monotonic_s - self._t0

    def emit(self, event: Event) -> None:
        fields = event.model_dump(mode="json", exclude={"event", "t_s", "time"})
        record = {"event": event.event, "t_s": round(time.monotonic() - self._t0, 3), "time": time.time(), **fields}
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def read_events(run_dir: Path) -> list[Event]:
    """Every event; a line that does not parse (cut by a kill mid-write) is skipped, a line that
    parses but is not an event of soak's shape is a RunFileError."""
    path = run_dir / EVENTS
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        events.append(event_of(record, f"{path} line {number}"))
    return events


def events_until(events: Sequence[Event], cutoff_s: float) -> list[Event]:
    """Events up to cutoff_s (those without a time are kept: they say nothing about when)."""
    return [event for event in events if event.t_s is None or event.t_s <= cutoff_s]
