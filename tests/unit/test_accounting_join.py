"""The per-update join on small synthetic records whose truth we know."""

from __future__ import annotations

import json
from pathlib import Path

from harness.accounting.join import UPDATES, JoinSettings, account
from harness.accounting.tally import Window
from harness.analysis.model import Span

WALL0 = 1_767_000_000.0


def _write(path: Path, records: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _text(msg: int, t: float) -> dict[str, object]:
    return {"t": WALL0 + t, "u": msg, "kind": "text", "fwd": True, "status": 200, "chat": 7, "msg": msg}


def _calls(msg: int, t: float, *, result_status: int = 200, jobs: int = 1) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for job in range(jobs):
        rid = f"telegram-1-{msg:04d}{job:04d}"
        out.append({"t": WALL0 + t + 0.1, "up": "cursor_runner", "route": "iterate", "status": 200, "ms": 50,
                    "request_id": rid, "prompt": f"List failing tests [soak m{msg}]"})  # fmt: skip
        out.append({"t": WALL0 + t + 0.3, "up": "telegram", "route": "sendMessage", "status": result_status,
                    "ms": 1, "chat_id": 7, "reply_to": msg, "mark": "ok"})  # fmt: skip
        out.append({"t": WALL0 + t + 0.31, "up": "cursor_runner", "route": "callback_out", "status": 200,
                    "ms": 20, "request_id": rid})  # fmt: skip
    return out


def _account(tmp_path: Path, updates: list[dict[str, object]], calls: list[dict[str, object]], faults=()):  # type: ignore[no-untyped-def]
    _write(tmp_path / UPDATES, updates)
    _write(tmp_path / "upstream-calls.jsonl", sorted(calls, key=lambda r: float(str(r["t"]))))
    return account(tmp_path, JoinSettings(WALL0, Window(0.0, 10.0), 5.0, tuple(faults)))


def test_completed_updates_cost_their_budget_and_lost_ones_are_counted(tmp_path: Path) -> None:
    updates = [_text(msg, float(msg)) for msg in range(1, 31)]
    calls = [c for msg in range(1, 31) if msg != 12 for c in _calls(msg, float(msg), jobs=2 if msg == 25 else 1)]
    result = _account(tmp_path, updates, calls)
    assert result is not None and result.updates_total == 30
    text = [w for w in result.windows if w.flow == "text"]
    assert sum(w.updates for w in text) == 30 and sum(w.completed for w in text) == 29
    assert sum(w.lost for w in text) == 1 and next(w for w in text if w.lost).span == Span(10.0, 20.0)
    assert sum(w.calls_of("cursor_runner") for w in text) == 30  # 28 x 1 + 1 x 2, the lost one none
    assert sum(w.multi_job for w in text) == 1
    callbacks = [w for w in result.windows if w.flow == "callback"]
    assert sum(w.updates for w in callbacks) == 30 and sum(w.completed for w in callbacks) == 30


def test_a_failed_result_in_a_fault_window_is_explained_not_lost(tmp_path: Path) -> None:
    updates = [_text(1, 1.0), _text(2, 15.0), _text(3, 30.0)]  # the last one moves time past the timeout
    calls = _calls(1, 1.0) + _calls(3, 30.0) + [{**c, "fault": "error"} if c["route"] == "sendMessage" else c
                              for c in _calls(2, 15.0, result_status=502)]  # fmt: skip
    result = _account(tmp_path, updates, calls, faults=(Span(14.0, 20.0),))
    assert result is not None
    text = {w.span.start_s: w for w in result.windows if w.flow == "text"}
    assert text[0.0].completed == 1 and text[10.0].completed == 0
    assert text[10.0].explained == 1 and text[10.0].lost == 0


def test_without_an_updates_log_there_is_no_accounting(tmp_path: Path) -> None:
    assert account(tmp_path, JoinSettings(WALL0, Window(0.0, 10.0), 5.0)) is None
