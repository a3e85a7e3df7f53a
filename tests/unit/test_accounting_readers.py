"""Reading calls at the mocks and fault windows from a run directory's files."""

from __future__ import annotations

import json
from pathlib import Path

from harness.accounting.calls import UPDATES, UPSTREAM_CALLS, answer_latency_points, call_curves
from harness.accounting.faults import fault_windows
from harness.analysis.model import Span
from harness.analysis.windows import rise_over
from harness.documents.events import event_of

WALL0 = 1_767_000_000.0


def test_calls_are_counted_per_route_on_the_run_clock_skipping_callbacks_and_cut_lines(tmp_path: Path) -> None:
    records = [
        {"t": WALL0 + 10.2, "up": "telegram", "route": "sendMessage", "status": 200},
        {"t": WALL0 + 10.7, "up": "telegram", "route": "sendMessage", "status": 502, "fault": "error"},
        {"t": WALL0 + 12.1, "up": "telegram", "route": "getFile", "status": 200},
        {"t": WALL0 + 12.5, "up": "cursor_runner", "route": "callback_out", "status": 200},
    ]
    lines = [json.dumps(r) for r in records] + ['{"t": 1767000013, "up": "tele']
    (tmp_path / UPSTREAM_CALLS).write_text("\n".join(lines))
    curves = call_curves(tmp_path, WALL0)
    assert set(curves) == {"telegram.sendMessage", "telegram.getFile"}
    assert rise_over(curves["telegram.sendMessage"], Span(0, 100)) == 2
    assert rise_over(curves["telegram.sendMessage"], Span(11, 100)) == 0
    assert rise_over(curves["telegram.getFile"], Span(0, 12)) == 0
    assert call_curves(tmp_path, None) == {}


def test_fault_windows_pair_start_and_end_and_close_at_the_last_tick() -> None:
    events = [
        {"event": "phase", "phase": "load", "t_s": 5.0},
        {"event": "fault_window_start", "t_s": 20.0, "upstream": "telegram", "route": "sendMessage", "kind": "error"},
        {"event": "fault_window_start", "t_s": 30.0, "upstream": "redis", "kind": "down"},
        {"event": "fault_window_end", "t_s": 35.0, "upstream": "telegram", "route": "sendMessage", "kind": "error"},
    ]
    windows = fault_windows([event_of(e, "test") for e in events], last_s=50.0)
    assert [(w.upstream, w.route, w.kind, w.span) for w in windows] == [
        ("telegram", "sendMessage", "error", Span(20.0, 35.0)),
        ("redis", "*", "down", Span(30.0, 50.0)),
    ]


def test_faults_set_at_run_time_are_windows_until_replaced_or_cleared() -> None:
    error = {"route": "sendMessage", "kind": "error", "status": 502, "start_s": None, "end_s": None}
    events = [
        {"event": "mock_faults_set", "t_s": 10.0, "upstream": "telegram", "faults": [error]},
        # Replaced: the first window ends here; the new fault has a window of its own, 25-28 s.
        {
            "event": "mock_faults_set",
            "t_s": 20.0,
            "upstream": "telegram",
            "faults": [{"route": "*", "kind": "hang", "start": 25.0, "end": 28.0}],
        },
        {"event": "mock_faults_set", "t_s": 30.0, "upstream": "elevenlabs", "faults": [{"kind": "reset"}]},
        {"event": "mock_faults_cleared", "t_s": 40.0, "upstream": "telegram"},
        {"event": "mock_faults_set", "t_s": 45.0, "upstream": "cursor_runner", "faults": []},
    ]
    windows = fault_windows([event_of(e, "test") for e in events], last_s=50.0)
    assert [(w.upstream, w.route, w.kind, w.span) for w in windows] == [
        ("telegram", "sendMessage", "error", Span(10.0, 20.0)),
        ("telegram", "*", "hang", Span(25.0, 28.0)),
        ("elevenlabs", "*", "reset", Span(30.0, 50.0)),  # never cleared: open until the run's last tick
    ]


def test_answer_latencies_are_placed_at_the_due_time_on_the_run_clock(tmp_path: Path) -> None:
    records = [
        {"t": WALL0 + 5.0, "kind": "text", "status": 200, "ms": 40.0},
        {"t": WALL0 + 9.5, "sched": WALL0 + 8.0, "kind": "text", "status": 200, "ms": 1600.0},  # open model
        {"t": WALL0 + 7.0, "kind": "text", "status": 0},  # no answer time recorded: left out
    ]
    lines = [json.dumps(r) for r in records] + ['{"t": 1767000013, "ms": 4']
    (tmp_path / UPDATES).write_text("\n".join(lines))
    points = answer_latency_points(tmp_path, WALL0)
    assert points is not None
    assert points.t_s.tolist() == [5.0, 8.0]
    assert points.values.tolist() == [0.04, 1.6]
    assert answer_latency_points(tmp_path, None) is None
    assert answer_latency_points(tmp_path / "none", WALL0) is None


def test_the_targets_reconnect_goes_onto_the_redis_window_before_it() -> None:
    def window(t_s: float, kind: str) -> list[dict[str, object]]:
        edge = {"upstream": "redis", "route": "*", "kind": kind, "start_s": t_s}
        return [
            {"event": "fault_window_start", "t_s": t_s, **edge},
            {"event": "fault_window_end", "t_s": t_s + 5, **edge},
        ]

    events = [
        {"event": "redis_target_reconnected", "t_s": 1.0, "upstream": "redis", "after_s": 0.2},  # no window yet
        *window(10.0, "down"),
        {"event": "redis_target_reconnected", "t_s": 15.6, "upstream": "redis", "after_s": 0.6, "clients": 1},
        *window(20.0, "pause"),
        *window(30.0, "kill_clients"),
        {"event": "redis_target_reconnected", "t_s": 65.0, "upstream": "redis", "after_s": None, "waited_s": 30.0},
    ]
    windows = fault_windows([event_of(e, "test") for e in events], last_s=80.0)
    assert [(w.kind, w.reconnected_after_s, w.not_reconnected_after_s) for w in windows] == [
        ("down", 0.6, None),
        ("pause", None, None),
        ("kill_clients", None, 30.0),
    ]
