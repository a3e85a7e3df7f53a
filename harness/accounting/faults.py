"""Fault windows as the run recorded them: fault_window_start/_end events paired into spans."""

from __future__ import annotations

import json
from typing import Any

from harness.analysis.model import FaultWindow, Span

START, END = "fault_window_start", "fault_window_end"


def _key(event: dict[str, Any]) -> tuple[str, str, str, str]:
    return (str(event.get("upstream", "?")), str(event.get("route", "*")), str(event.get("kind", "?")),
            json.dumps(event.get("start_s")))  # fmt: skip


def fault_windows(events: list[dict[str, Any]], last_s: float) -> tuple[FaultWindow, ...]:
    """Each opened window with its close; one still open when the run ended closes at last_s."""
    opened: dict[tuple[str, str, str, str], float] = {}
    windows: list[FaultWindow] = []
    for event in events:
        kind, t_s = event.get("event"), event.get("t_s")
        if kind not in (START, END) or not isinstance(t_s, int | float):
            continue
        key = _key(event)
        if kind == START:
            opened.setdefault(key, float(t_s))
        elif key in opened:
            windows.append(FaultWindow(key[0], key[1], key[2], Span(opened.pop(key), float(t_s))))
    for key, start_s in opened.items():
        windows.append(FaultWindow(key[0], key[1], key[2], Span(start_s, max(start_s, last_s))))
    return tuple(sorted(windows, key=lambda window: window.span.start_s))
