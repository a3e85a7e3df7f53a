"""Fault windows as the run recorded them: fault_window_start/_end events paired into spans, and the
faults set at run time through a mock's /__mock__/faults (mock_faults_set, until the next set or
mock_faults_cleared), with the target's reconnect after a Redis window (redis_target_reconnected)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from harness.analysis.model import FaultWindow, Span
from harness.documents.events import Event, FaultWindowEvent, MockFaultsEvent, RedisReconnectedEvent
from vocab.events import EventKind
from vocab.upstreams import Peer

START, END = EventKind.FAULT_WINDOW_START, EventKind.FAULT_WINDOW_END
RUNTIME_SET = EventKind.MOCK_FAULTS_SET


def _key(event: FaultWindowEvent) -> tuple[str, str, str, str]:
    """A window's identity: its start and end events carry the same fault (start_s as dumped, if any)."""
    extra = event.model_extra or {}
    return event.upstream, event.route, event.kind, json.dumps(extra.get("start_s", extra.get("start")))


def _seconds(fault: dict[str, Any], name: str) -> float | None:
    """A fault's window edge as dumped: `start_s` or, by alias, `start` (seconds either way)."""
    value = fault.get(f"{name}_s", fault.get(name))
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class _Runtime:
    """The faults each mock holds from /__mock__/faults: a set replaces them, a clear ends them."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self.windows: list[FaultWindow] = []

    def end(self, upstream: str, t_s: float) -> None:
        set_s, faults = self.held.pop(upstream, (t_s, []))
        for fault in faults:
            own_start_s, own_end_s = _seconds(fault, "start"), _seconds(fault, "end")
            start_s = set_s if own_start_s is None else max(set_s, own_start_s)
            end_s = t_s if own_end_s is None else min(t_s, own_end_s)
            if end_s > start_s:
                route, kind = str(fault.get("route", "*")), str(fault.get("kind", "?"))
                self.windows.append(FaultWindow(upstream, route, kind, Span(start_s, end_s)))

    def event(self, event: MockFaultsEvent, t_s: float) -> None:
        self.end(event.upstream, t_s)
        if event.event == RUNTIME_SET:
            self.held[event.upstream] = (t_s, list(event.faults))


def _reconnected(windows: list[FaultWindow], event: RedisReconnectedEvent) -> None:
    """The target's reconnect after the latest closed Redis window, onto that window."""
    index = next((i for i in range(len(windows) - 1, -1, -1) if windows[i].upstream == Peer.REDIS), None)
    if index is None:
        return
    after_s = None if event.after_s is None else float(event.after_s)
    waited_s = None if event.waited_s is None else float(event.waited_s)
    windows[index] = replace(windows[index], reconnected_after_s=after_s, not_reconnected_after_s=waited_s)


def fault_windows(events: Sequence[Event], last_s: float) -> tuple[FaultWindow, ...]:
    """Each opened window with its close; one still open when the run ended closes at last_s."""
    opened: dict[tuple[str, str, str, str], float] = {}
    windows: list[FaultWindow] = []
    runtime = _Runtime()
    for event in events:
        if event.t_s is None:
            continue
        if isinstance(event, RedisReconnectedEvent):
            _reconnected(windows, event)
            continue
        if isinstance(event, MockFaultsEvent):
            runtime.event(event, float(event.t_s))
            continue
        if not isinstance(event, FaultWindowEvent):
            continue
        key = _key(event)
        if event.event == START:
            opened.setdefault(key, float(event.t_s))
        elif key in opened:
            windows.append(FaultWindow(key[0], key[1], key[2], Span(opened.pop(key), float(event.t_s))))
    for key, start_s in opened.items():
        windows.append(FaultWindow(key[0], key[1], key[2], Span(start_s, max(start_s, last_s))))
    for upstream in list(runtime.held):
        runtime.end(upstream, max(last_s, runtime.held[upstream][0]))
    return tuple(sorted(windows + runtime.windows, key=lambda window: window.span.start_s))
