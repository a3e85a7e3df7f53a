"""The knee from a step table and end-to-end figures; the check on answers to bad input."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.bad_input import bad_input_answers
from harness.analysis.flows import LATENCY_BOUNDS_S, FlowWindow, latency_bucket
from harness.analysis.knee import NOT_DONE, StepFigures, find_knee, step_e2e
from harness.analysis.model import Span, Status
from harness.evaluate.locust_stats import read_bad_input


def _step(step: int, rate: float, crossed: tuple[str, ...] = ()) -> StepFigures:
    return StepFigures(
        step, rate, Span(step * 30.0, (step + 1) * 30.0), int(rate * 30), int(rate * 20), 0, 0.01, crossed
    )


def _window(flow: str, latencies_s: list[float], updates: int | None = None) -> FlowWindow:
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    for latency_s in latencies_s:
        counts[latency_bucket(latency_s)] += 1
    total = len(latencies_s) if updates is None else updates
    return FlowWindow(
        flow, Span(0, 10), total, len(latencies_s), total - len(latencies_s), 0, {}, 0, 0, 0, tuple(counts)
    )


def test_the_knee_is_the_last_step_of_the_first_run_of_held_steps() -> None:
    steps = [_step(0, 100), _step(1, 200), _step(2, 300, ("webhook p95 612 ms > 500 ms",))]
    knee = find_knee(steps, {}, e2e_limit_s=None)
    assert knee.rate == 200 and [s.held for s in knee.steps] == [True, True, False]
    assert "knee at 200 updates/s" in knee.verdict and "612 ms" in knee.verdict


def test_a_step_failing_alone_is_a_stall_not_the_limit() -> None:
    """The next step held: the failure was the machine's (a GC, a neighbour), so the steps go on."""
    crossed = ("webhook p95 700 ms > 500 ms",)
    steps = [_step(0, 100), _step(1, 200, crossed), _step(2, 300), _step(3, 400, crossed), _step(4, 500, crossed)]
    knee = find_knee(steps, {}, e2e_limit_s=None)
    assert knee.rate == 300 and "400 updates/s did not hold" in knee.verdict
    assert [s.held for s in knee.steps] == [True, False, True, False, False]


def test_end_to_end_latency_crossing_ends_the_held_run_earlier() -> None:
    steps = [_step(0, 100), _step(1, 200), _step(2, 300, ("error ratio 3.00% > 1.00%",))]
    e2e = {0: (0.4, "text"), 1: (2.5, "voice_forwarded"), 2: (9.0, "text")}  # 200 fails, and 300 after it
    knee = find_knee(steps, e2e, e2e_limit_s=1.0)
    assert knee.rate == 100 and "e2e p95 (voice_forwarded) 2.50 s > 1 s" in knee.steps[1].crossed


def test_no_step_held_and_every_step_held_are_said_apart() -> None:
    none = find_knee([_step(0, 100, ("nothing was sent",))], {}, None)
    assert none.rate is None and "first step did not hold" in none.verdict
    every = find_knee([_step(0, 100), _step(1, 200)], {}, None)
    assert every.rate == 200 and "the knee is above" in every.verdict


def test_e2e_p95_falls_on_unfinished_updates_when_too_few_completed() -> None:
    done = _window("text", [0.1] * 100)
    p95_s, flow = step_e2e([done, _window("callback", [30.0] * 50)])
    assert flow == "text" and p95_s is not None and 0.1 <= p95_s < 0.13  # callbacks are not an update's e2e
    unfinished = _window("text", [0.1] * 90, updates=100)  # 10 % never completed: p95 is among them
    assert step_e2e([unfinished]) == (NOT_DONE, "text")
    assert step_e2e([_window("text", [0.1] * 5)]) == (None, None)  # too few to say
    # A step whose work all queued up completed almost none: slower than any limit, not unjudged.
    assert step_e2e([_window("text", [0.1] * 3, updates=500)]) == (NOT_DONE, "text")


def test_bad_input_answered_outside_the_contract_fails_with_locusts_words(tmp_path: Path) -> None:
    (tmp_path / "locust").mkdir()
    (tmp_path / "locust" / "locust_stats.csv").write_text(
        "Type,Name,Request Count,Failure Count\nPOST,text,900,0\nPOST,bad:malformed_json,10,3\n"
        "POST,bad:unknown_kind,12,0\n,Aggregated,922,3\n"
    )
    (tmp_path / "locust" / "locust_failures.csv").write_text(
        "Method,Name,Error,Occurrences\nPOST,bad:malformed_json,malformed_json: answered 400,3\n"
    )
    kinds = read_bad_input(tmp_path)
    assert kinds["malformed_json"].sent == 10 and kinds["malformed_json"].broken == 3
    check = bad_input_answers(kinds, Span(0, 60))
    assert check is not None and check.status is Status.FAIL and check.figure == 3
    assert "malformed_json 3 of 10" in check.detail and "answered 400" in check.evidence[0]
    fine = bad_input_answers({"unknown_kind": kinds["unknown_kind"]}, None)
    assert fine is not None and fine.status is Status.PASS
    assert bad_input_answers({}, None) is None  # no bad input sent: no check


def test_bad_input_is_no_update_the_accounting_owes(tmp_path: Path) -> None:
    """An unknown update kind is answered 200 and ignored: never a lost update, nor counted as sent."""
    import json

    from harness.accounting.join import UPDATES, JoinSettings, account
    from harness.accounting.tally import Window

    wall0 = 1_767_000_000.0
    bad = [{"t": wall0 + i, "kind": "bad_input", "bad": "unknown_kind", "fwd": False, "status": 200, "ok": True}
           for i in range(1, 20)]  # fmt: skip
    text = {"t": wall0 + 1, "u": 1, "kind": "text", "fwd": True, "status": 200, "chat": 7, "msg": 1}
    reply = {"t": wall0 + 1.2, "up": "telegram", "route": "sendMessage", "status": 200, "ms": 1, "chat_id": 7,
             "reply_to": 1, "mark": "ok"}  # fmt: skip
    (tmp_path / UPDATES).write_text("".join(json.dumps(r) + "\n" for r in [text, *bad]))
    (tmp_path / "upstream-calls.jsonl").write_text(json.dumps(reply) + "\n")
    result = account(tmp_path, JoinSettings(wall0, Window(0.0, 10.0), 5.0, (), results_by_callback=False))
    assert result is not None and result.updates_total == 1
    assert sum(w.lost for w in result.windows) == 0 and sum(w.completed for w in result.windows) == 1
