"""The per-update join on small synthetic records whose truth we know."""

from __future__ import annotations

import json
from pathlib import Path

from harness.accounting.calls import UPDATES
from harness.accounting.join import JoinSettings, account
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
    text = {(w.span.start_s, w.in_fault): w for w in result.windows if w.flow == "text"}
    assert text[(0.0, False)].completed == 1 and text[(10.0, True)].completed == 0
    assert text[(10.0, True)].explained == 1 and text[(10.0, True)].lost == 0


def test_updates_a_fault_touched_are_judged_apart_from_those_beside_them(tmp_path: Path) -> None:
    # One window (10-20 s): msg 2's result meets a fault (one drawn by rate, far from any fault window);
    # msg 3 beside it completes; msg 4 is lost with no fault near it.
    updates = [_text(1, 1.0), _text(2, 14.0), _text(3, 16.0), _text(4, 17.0), _text(5, 60.0)]
    faulted = [
        {**c, "fault": "error"} if c["route"] == "sendMessage" else c for c in _calls(2, 14.0, result_status=502)
    ]
    calls = _calls(1, 1.0) + faulted + _calls(3, 16.0) + _calls(5, 60.0)
    result = _account(tmp_path, updates, calls, faults=(Span(40.0, 41.0),))
    assert result is not None
    text = {(w.span.start_s, w.in_fault): w for w in result.windows if w.flow == "text"}
    assert (text[(10.0, True)].updates, text[(10.0, True)].explained) == (1, 1)
    steady = text[(10.0, False)]
    assert (steady.updates, steady.completed, steady.lost, steady.calls["telegram.sendMessage"]) == (2, 1, 1, 1)


def test_each_fault_window_counts_the_updates_sent_during_it_and_how_they_ended(tmp_path: Path) -> None:
    # Window 10-20 s: msg 12 answered with an apology only (never forwarded: not its work done), msg 15
    # never answered, msg 17 completed with its reply retried once; msgs 5 and 25 fall outside it.
    retried = _calls(17, 17.0)
    retried.insert(1, {**retried[1], "t": WALL0 + 17.2, "status": 502, "fault": "error"})
    apology = {"t": WALL0 + 12.2, "up": "telegram", "route": "sendMessage", "status": 200, "ms": 1, "chat_id": 7,
               "mark": "error"}  # fmt: skip
    updates = [_text(msg, float(msg)) for msg in (5, 12, 15, 17, 25)] + [_text(60, 60.0)]
    calls = [*_calls(5, 5.0), apology, *retried, *_calls(25, 25.0), *_calls(60, 60.0)]
    result = _account(tmp_path, updates, calls, faults=(Span(10.0, 20.0), Span(40.0, 45.0)))
    assert result is not None
    during, quiet = result.faults
    assert (during.span, during.updates, during.completed, during.not_completed, during.forwarded) == (
        Span(10.0, 20.0),
        3,
        1,
        2,
        1,
    )
    assert during.calls == {"telegram.sendMessage": 3, "cursor_runner.iterate": 1}  # callbacks are not calls
    assert (quiet.span, quiet.updates, quiet.calls) == (Span(40.0, 45.0), 0, {})


def test_without_an_updates_log_there_is_no_accounting(tmp_path: Path) -> None:
    assert account(tmp_path, JoinSettings(WALL0, Window(0.0, 10.0), 5.0)) is None


def _update(kind: str, msg: int, t: float, chat: int, **keys: object) -> dict[str, object]:
    fwd = kind in ("text", "edited", "voice") or (kind == "callback" and keys.pop("fwd", False))
    return {"t": WALL0 + t, "u": msg, "kind": kind, "fwd": fwd, "status": 200, "chat": chat, "msg": msg, **keys}


def _call(t: float, route: str, status: int = 200, ms: float = 2.0, **keys: object) -> dict[str, object]:
    up = {"speech_to_text": "elevenlabs", "text_to_speech": "elevenlabs", "iterate": "cursor_runner",
          "callback_out": "cursor_runner"}.get(route, "telegram")  # fmt: skip
    return {"t": WALL0 + t, "up": up, "route": route, "status": status, "ms": ms, **keys}


def _flows(result: object) -> dict[str, dict[str, int]]:
    """Per flow: updates, completed, lost, explained and calls per upstream.route, summed over windows."""
    out: dict[str, dict[str, int]] = {}
    for w in result.windows:  # type: ignore[attr-defined]
        sums = out.setdefault(w.flow, {})
        for name in ("updates", "completed", "lost", "explained"):
            sums[name] = sums.get(name, 0) + getattr(w, name)
        for key, n in w.calls.items():
            sums[key] = sums.get(key, 0) + n
    return out


def test_an_apology_goes_to_the_update_whose_call_failed_not_to_a_callback_query(tmp_path: Path) -> None:
    # User chat 7: a local command (msg 1) whose reply fails, then the bot's apology without reply_to.
    # Callback query (msg 2) in a chat of its own (8): its acknowledgement, without reply_to, ends it.
    updates = [_update("command", 1, 1.0, 7), _update("callback", 2, 1.1, 8, cq="q2"), _text(3, 40.0)]
    calls = [
        _call(1.2, "answerCallbackQuery", callback_query_id="q2"),
        _call(1.25, "sendMessage", 502, chat_id=7, reply_to=1, fault="error"),
        _call(1.3, "sendMessage", chat_id=8),  # the acknowledgement
        _call(1.35, "sendMessage", chat_id=7),  # the apology
        *_calls(3, 40.0),
    ]
    flows = _flows(_account(tmp_path, updates, calls, faults=(Span(0.5, 2.0),)))
    assert flows["local"] == {"updates": 1, "completed": 0, "lost": 0, "explained": 1, "telegram.sendMessage": 2}
    assert flows["callback_query"]["completed"] == 1
    assert flows["callback_query"]["telegram.sendMessage"] == 1


def test_a_reply_without_reply_to_that_names_no_update_is_set_apart(tmp_path: Path) -> None:
    # Two open text updates in chat 7, no failed call: a message without reply_to could be about either.
    updates = [_text(1, 1.0), _text(2, 1.1), _text(3, 40.0)]
    calls = [_call(1.2, "sendMessage", chat_id=7), *_calls(1, 1.0), *_calls(2, 1.1), *_calls(3, 40.0)]
    result = _account(tmp_path, updates, sorted(calls, key=lambda r: float(str(r["t"]))))
    assert result is not None
    assert _flows(result)["text"]["telegram.sendMessage"] == 3
    assert list(result.apart.values()) == [1] and "no update" in next(iter(result.apart))


def _voice(msg: int, t: float, file: str) -> list[dict[str, object]]:
    return [_call(t + 0.1, "getFile", file_id=file), _call(t + 0.2, "file", file_id=file),
            _call(t + 0.3, "speech_to_text", file_id=file)]  # fmt: skip


def test_voice_flows_are_told_apart_and_tts_is_credited_to_the_spoken_reply(tmp_path: Path) -> None:
    # Three voice updates sharing one chat: forwarded (transcript tagged with its file, result spoken),
    # local (transcript "/status", spoken), failed (empty transcript, error reply).
    updates = [_update("voice", 1, 1.0, 7, file="fA"), _update("voice", 2, 1.05, 7, file="fB"),
               _update("voice", 3, 1.1, 7, file="fC"), _text(9, 40.0)]  # fmt: skip
    rid = "telegram-1-000a"
    calls = [
        *_voice(1, 1.0, "fA"), *_voice(2, 1.05, "fB"), *_voice(3, 1.1, "fC"),
        _call(1.5, "iterate", request_id=rid, prompt="list failing tests on main [soak ffA]"),
        _call(1.52, "text_to_speech", ms=10.0),  # fB's local reply, spoken
        _call(1.54, "sendMessage", chat_id=7, reply_to=3, mark="error"),
        _call(1.58, "sendVoice", ms=20.0, chat_id=7, reply_to=2),
        _call(2.0, "callback_out", ms=30.0, request_id=rid),
        _call(2.05, "text_to_speech", 500, ms=10.0, fault="error"),  # fA's result: TTS fails, text fallback
        _call(2.07, "sendMessage", chat_id=7, reply_to=1, mark="ok"),
        _call(3.0, "text_to_speech", ms=10.0),  # no reply follows it
        *_calls(9, 40.0),
    ]  # fmt: skip
    result = _account(tmp_path, updates, sorted(calls, key=lambda r: float(str(r["t"]))))
    assert result is not None
    flows = _flows(result)
    assert flows["voice_forwarded"]["completed"] == 1 and flows["voice_forwarded"]["elevenlabs.text_to_speech"] == 1
    assert flows["voice_forwarded"]["cursor_runner.iterate"] == 1
    assert flows["voice_local"]["completed"] == 1 and flows["voice_local"]["elevenlabs.text_to_speech"] == 1
    assert flows["voice_failed"]["completed"] == 1 and "elevenlabs.text_to_speech" not in flows["voice_failed"]
    assert sum(result.apart.values()) == 1 and "TTS" in next(iter(result.apart))
