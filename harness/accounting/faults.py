"""Fault windows as the run recorded them: fault_window_start/_end events paired into spans, and the
faults set at run time through a mock's /__mock__/faults (mock_faults_set, until the next set or
mock_faults_cleared), with the target's reconnect after a Redis window (redis_target_reconnected)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from harness.analysis.model import FaultWindow, Span

START, END = "fault_window_start", "fault_window_end"
RUNTIME_SET, RUNTIME_CLEARED = "mock_faults_set", "mock_faults_cleared"
RECONNECTED = "redis_target_reconnected"


def _key(event: dict[str, Any]) -> tuple[str, str, str, str]:
    return (str(event.get("upstream", "?")), str(event.get("route", "*")), str(event.get("kind", "?")),
            json.dumps(event.get("start_s")))  # fmt: skip


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

    def event(self, event: dict[str, Any], t_s: float) -> None:
        upstream = str(event.get("upstream", "?"))
        self.end(upstream, t_s)
        faults = event.get("faults")
        if event.get("event") == RUNTIME_SET and isinstance(faults, list):
            self.held[upstream] = (t_s, [fault for fault in faults if isinstance(fault, dict)])


def _reconnected(windows: list[FaultWindow], event: dict[str, Any]) -> None:
    """The target's reconnect after the latest closed Redis window, onto that window."""
    index = next((i for i in range(len(windows) - 1, -1, -1) if windows[i].upstream == "redis"), None)
    if index is None:
        return
    after_s, waited_s = _seconds(event, "after"), _seconds(event, "waited")
    windows[index] = replace(windows[index], reconnected_after_s=after_s, not_reconnected_after_s=waited_s)


def fault_windows(events: list[dict[str, Any]], last_s: float) -> tuple[FaultWindow, ...]:
    """Each opened window with its close; one still open when the run ended closes at last_s."""
    opened: dict[tuple[str, str, str, str], float] = {}
    windows: list[FaultWindow] = []
    runtime = _Runtime()
    for event in events:
        kind, t_s = event.get("event"), event.get("t_s")
        if kind not in (START, END, RUNTIME_SET, RUNTIME_CLEARED, RECONNECTED) or not isinstance(t_s, int | float):
            continue
        if kind == RECONNECTED:
            _reconnected(windows, event)
            continue
        if kind in (RUNTIME_SET, RUNTIME_CLEARED):
            runtime.event(event, float(t_s))
            continue
        key = _key(event)
        if kind == START:
            opened.setdefault(key, float(t_s))
        elif key in opened:
            windows.append(FaultWindow(key[0], key[1], key[2], Span(opened.pop(key), float(t_s))))
    for key, start_s in opened.items():
        windows.append(FaultWindow(key[0], key[1], key[2], Span(start_s, max(start_s, last_s))))
    for upstream in list(runtime.held):
        runtime.end(upstream, max(last_s, runtime.held[upstream][0]))
    return tuple(sorted(windows + runtime.windows, key=lambda window: window.span.start_s))
