"""The join with updates the load's stop left without an answer, files several updates share, and
an updates log written in answer order, on small synthetic records whose truth we know."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.accounting.calls import UPDATES
from harness.accounting.join import AMBIGUOUS, JoinSettings, account
from harness.accounting.tally import Window
from harness.analysis.flows import Accounting
from harness.analysis.notes import accounting_notes

WALL0 = 1_767_000_000.0
CHAT = 7


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _account(tmp_path: Path, updates: list[dict[str, Any]], calls: list[dict[str, Any]]) -> Accounting:
    """updates in the order given (the order their answers came); calls sorted by when they ended."""
    _write(tmp_path / UPDATES, updates)
    _write(tmp_path / "upstream-calls.jsonl", sorted(calls, key=lambda r: float(r["t"])))
    result = account(tmp_path, JoinSettings(WALL0, Window(0.0, 100.0), 10.0))
    assert result is not None
    return result


def _update(kind: str, msg: int, t: float, *, status: int = 200, **keys: Any) -> dict[str, Any]:
    record = {"t": WALL0 + t, "u": msg, "kind": kind, "fwd": kind != "command", "status": status, "chat": CHAT,
              "msg": msg, **keys}  # fmt: skip
    if not status:
        record["why"] = "load stopped"
    return record


def _call(t: float, route: str, status: int = 200, **keys: Any) -> dict[str, Any]:
    up = {"speech_to_text": "elevenlabs", "iterate": "cursor_runner", "callback_out": "cursor_runner"}.get(route)
    return {"t": WALL0 + t, "up": up or "telegram", "route": route, "status": status, "ms": 2.0, **keys}


def _voice(msg: int, t: float, file: str, *, stt: tuple[int, ...] = (200,), job: bool = True) -> list[dict[str, Any]]:
    """A forwarded voice update's calls (§5, S=1, A=0): 🎤, getFile, file, STT (each try), ⏳, result."""
    calls = [_call(t + 0.1, "sendMessage", reply_to=msg, chat_id=CHAT, mark="status"),
             _call(t + 0.2, "getFile", file_id=file), _call(t + 0.3, "file", file_id=file)]  # fmt: skip
    calls += [_call(t + 0.4 + 0.1 * n, "speech_to_text", status, file_id=file) for n, status in enumerate(stt)]
    if job:
        rid = f"telegram-1-{msg:08x}"
        calls += [_call(t + 1.0, "sendMessage", reply_to=msg, chat_id=CHAT, mark="status"),
                  _call(t + 1.1, "iterate", request_id=rid, prompt=f"transcript [soak f{file}]"),
                  _call(t + 1.2, "callback_out", request_id=rid),
                  _call(t + 1.3, "sendMessage", reply_to=msg, chat_id=CHAT, mark="ok")]  # fmt: skip
    return calls


def _text(msg: int, t: float, **keys: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rid = f"telegram-1-{msg:08x}"
    calls = [_call(t + 0.1, "sendMessage", reply_to=msg, chat_id=CHAT, mark="status"),
             _call(t + 0.2, "iterate", request_id=rid, prompt=f"prompt [soak m{msg}]"),
             _call(t + 0.3, "callback_out", request_id=rid),
             _call(t + 0.4, "sendMessage", reply_to=msg, chat_id=CHAT, mark="ok")]  # fmt: skip
    return _update("text", msg, t, **keys), calls


def _sums(result: Accounting, flow: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in (w for w in result.windows if w.flow == flow):
        for name in ("updates", "completed", "lost"):
            out[name] = out.get(name, 0) + getattr(w, name)
        for key, n in w.calls.items():
            out[key] = out.get(key, 0) + n
    return out


def test_an_update_the_stop_left_unanswered_keeps_its_calls_off_the_update_sharing_its_file(tmp_path: Path) -> None:
    # msg 1 and msg 2 send one file; msg 2 was in flight when the load stopped (status 0). The
    # service still fetched and transcribed it, and forwarded it; msg 3 (same file) got no work at all.
    updates = [_update("voice", 1, 1.0, file="fR"), _update("voice", 2, 2.0, status=0, file="fR"),
               _update("voice", 3, 2.5, status=0, file="fR"), _update("command", 9, 40.0)]  # fmt: skip
    calls = [*_voice(1, 1.0, "fR"), *_voice(2, 2.0, "fR"), _call(40.1, "sendMessage", reply_to=9, chat_id=CHAT)]
    result = _account(tmp_path, updates, calls)
    forwarded = _sums(result, "voice_forwarded")
    assert forwarded["updates"] == forwarded["completed"] == 2  # msg 2 completed: it counts as any other
    assert forwarded["elevenlabs.speech_to_text"] == 2 and forwarded["telegram.getFile"] == 2
    assert forwarded["cursor_runner.iterate"] == 2 and forwarded["telegram.sendMessage"] == 6
    assert sum(w.lost for w in result.windows) == 0  # msg 3: never accepted, not lost
    assert result.unanswered == {"load stopped": 1} and not result.unattributed and not result.apart
    assert any("1 updates sent without a webhook answer" in note for note in accounting_notes(result))


def test_without_the_unanswered_update_its_repeat_is_set_apart_not_charged_twice(tmp_path: Path) -> None:
    # The same work with msg 2 missing from the log (a run before every update was recorded) and a
    # third update of the file: which of the two logged updates the repeated calls are for cannot be
    # told, and neither is charged a second file download or transcription.
    updates = [_update("voice", 1, 1.0, file="fR"), _update("voice", 4, 1.5, file="fR")]
    updates += [_update("command", 9, 40.0)]
    calls = [*_voice(1, 1.0, "fR", job=False), *_voice(4, 1.5, "fR", job=False)]
    calls += [_call(3.2, "getFile", file_id="fR"), _call(3.3, "file", file_id="fR"),
              _call(3.4, "speech_to_text", file_id="fR"),
              _call(40.1, "sendMessage", reply_to=9, chat_id=CHAT)]  # fmt: skip
    result = _account(tmp_path, updates, calls)
    voice = {flow: _sums(result, flow) for flow in ("voice_failed", "voice_local", "voice_forwarded")}
    per_update = [(s.get("telegram.getFile", 0), s.get("elevenlabs.speech_to_text", 0)) for s in voice.values() if s]
    assert sum(s["updates"] for s in voice.values() if s) == 2
    assert sum(n for n, _ in per_update) == 2 and sum(n for _, n in per_update) == 2
    apart = {key: n for key, n in result.apart.items() if AMBIGUOUS in key}
    assert apart == {f"telegram.getFile: {AMBIGUOUS}": 1, f"telegram.file: {AMBIGUOUS}": 1,
                     f"elevenlabs.speech_to_text: {AMBIGUOUS}": 1}  # fmt: skip


def test_a_retried_transcription_is_charged_to_the_update_that_failed_it(tmp_path: Path) -> None:
    # Two updates of one file; msg 2's first STT fails and is retried: the retry is its amplification,
    # whichever of the two made its call first.
    updates = [_update("voice", 1, 1.0, file="fR"), _update("voice", 2, 1.05, file="fR"), _update("command", 9, 40.0)]
    calls = [*_voice(1, 1.0, "fR"), *_voice(2, 1.05, "fR", stt=(500, 200))]
    calls.append(_call(40.1, "sendMessage", reply_to=9, chat_id=CHAT))
    result = _account(tmp_path, updates, calls)
    forwarded = _sums(result, "voice_forwarded")
    assert forwarded["updates"] == forwarded["completed"] == 2
    assert forwarded["elevenlabs.speech_to_text"] == 3 and not result.apart


def test_an_update_answered_late_is_joined_in_send_order(tmp_path: Path) -> None:
    # msg 1's answer came 20 s after it was sent (its line follows those of updates sent after it,
    # far beyond the join's slack); its calls came at once. It completed; nothing is unattributed.
    later = [_text(msg, float(msg)) for msg in range(2, 22)]
    first, first_calls = _text(1, 1.0)
    updates = [u for u, _ in later] + [first, _update("command", 99, 60.0)]
    calls = first_calls + [c for _, cs in later for c in cs] + [_call(60.1, "sendMessage", reply_to=99, chat_id=CHAT)]
    result = _account(tmp_path, updates, calls)
    text = _sums(result, "text")
    assert text["updates"] == text["completed"] == 21 and text["lost"] == 0
    assert text["telegram.sendMessage"] == 42 and text["cursor_runner.iterate"] == 21
    assert not result.unattributed and not result.apart


def test_a_refused_update_is_not_the_services_work_and_an_unanswered_one_without_calls_is_not_lost(
    tmp_path: Path,
) -> None:
    updates = [_update("text", 1, 1.0, status=500), _update("text", 2, 2.0, status=0), _update("command", 9, 40.0)]
    result = _account(tmp_path, updates, [_call(40.1, "sendMessage", reply_to=9, chat_id=CHAT)])
    assert _sums(result, "text") == {} and sum(w.lost for w in result.windows) == 0
    assert result.unanswered == {"load stopped": 1}
    assert result.updates_total == 2  # the unanswered one and the command; the refused one is not work
