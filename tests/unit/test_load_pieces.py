"""The scenario side's pure pieces: the open model's pacer, exact shares, the chat population,
bad input and the contract's answers to it, and the live knee check."""

from __future__ import annotations

import itertools
import json
import random
import time
from functools import partial
from pathlib import Path

import pytest

from scenarios import payloads
from scenarios.bad_input import MALFORMED_JSON, OVERSIZE_BYTES, answer_problem, oversize_body
from scenarios.knee_live import KneeTracker
from scenarios.pacing import ExactShare, Pacer
from scenarios.population import ChatPopulation
from scenarios.settings import KneeLimits, LoadSettings
from scenarios.shape_math import ShapeSpec, target_rate


def test_the_pacer_schedules_at_the_rate_whatever_the_answers() -> None:
    spec = ShapeSpec("arrival_rate", users=10, duration_s=10, spawn_rate=10, rate=50)
    pacer = Pacer(partial(target_rate, spec), start_s=1000.0)
    slots = [pacer.claim(deadline_s=2000.0) for _ in range(100)]
    assert slots[0] == 1000.0 and slots[-1] == pytest.approx(1000.0 + 99 / 50)
    # Claimed late (a stalled service kept every user busy), the slots keep their schedule: the
    # backlog is sent at once and each latency counts from its own slot.
    assert [b - a for a, b in itertools.pairwise(slots)] == pytest.approx([0.02] * 99)


def test_each_of_n_workers_sends_its_share_and_nothing_after_the_end() -> None:
    spec = ShapeSpec("arrival_rate", users=10, duration_s=10, spawn_rate=10, rate=60)
    pacer = Pacer(partial(target_rate, spec), start_s=0.0, share=1 / 3)
    slots = []
    while (slot := pacer.claim(deadline_s=20.0)) is not None:
        slots.append(slot)
    assert len(slots) == 200 and max(slots) < 10.0  # 60/s x 10 s / 3 workers


def test_exact_share_fires_on_exactly_that_share() -> None:
    share = ExactShare(0.02)
    assert sum(share() for _ in range(1000)) == 20
    never = ExactShare(0.0)
    assert not any(never() for _ in range(100))


def test_new_chat_share_sends_exactly_that_share_from_chats_never_seen() -> None:
    payloads.use_id_block(7)
    population = ChatPopulation(new_chat_share=0.25, pool_size=0)
    own = population.user_chat()
    chats = [population.chat_for(own) for _ in range(400)]
    new = [chat for chat in chats if chat != own]
    assert len(new) == 100 and len(set(new)) == 100 and own not in new
    assert all(chat // payloads.ID_BLOCK == 7 for chat in chats)  # the process's own id block


def test_a_fixed_pool_is_seen_whole_at_once_then_never_grows_and_is_split_between_workers() -> None:
    population = ChatPopulation(new_chat_share=0.0, pool_size=50)
    own = population.user_chat()
    first = {population.chat_for(own) for _ in range(50)}
    assert len(first) == 50 and own in first  # every chat within the first 50 updates
    assert {population.chat_for(own) for _ in range(2000)} == first
    half = ChatPopulation(new_chat_share=0.0, pool_size=50, pool_share=0.5)
    assert len({half.chat_for(half.user_chat()) for _ in range(2000)}) == 25


def test_callbacks_of_a_fixed_population_come_from_a_fixed_set_of_chats() -> None:
    """A chat per callback grew the population by one every ~10 updates of the mixed scenario, and
    a benign per-chat map (filled once by a fixed population) failed as a leak; so did chats taken
    again only 2 minutes after their last use, more slowly. A user chat's buttons sit in 16 chats of
    its own, in turn: no two of its 16 callbacks in a row share a chat, and there are never more."""
    payloads.use_id_block(3)
    population = ChatPopulation(new_chat_share=0.0, pool_size=0)
    users = [population.user_chat() for _ in range(20)]

    def message_chat(user: int) -> int:
        query = payloads.callback_update(population.chat_for(user), "/status")["callback_query"]
        return int(query["message"]["chat"]["id"])

    chats = {user: [message_chat(user) for _ in range(200)] for user in users}
    assert len({chat for seen in chats.values() for chat in seen}) == 20 * payloads.BUTTON_CHATS
    assert all(len(set(seen[i : i + 16])) == 16 for seen in chats.values() for i in range(0, 184))
    assert not {chat for seen in chats.values() for chat in seen} & set(users)


def test_workers_never_share_an_id() -> None:
    ids = []
    for block in (0, 1):
        payloads.use_id_block(block)
        update = payloads.text_update(payloads.new_chat_id(), "hi")
        ids.append((update["update_id"], update["message"]["message_id"], update["message"]["chat"]["id"]))
    assert all(a != b for a, b in zip(*ids, strict=True))


def test_file_reuse_share_is_the_profiles() -> None:
    rng = random.Random(3)
    never = {payloads.file_id(rng, repeat_share=0.0) for _ in range(200)}
    assert len(never) == 200
    always = {payloads.file_id(rng, repeat_share=1.0) for _ in range(200)}
    assert always <= set(payloads.REPEATED_FILE_IDS)


ENVELOPE = json.dumps({"ok": False, "say": "Sorry", "result": {"error": "Unexpected end of JSON input"}}).encode()


@pytest.mark.parametrize(
    ("kind", "status", "body", "problem"),
    [
        ("malformed_json", 500, ENVELOPE, None),
        ("oversize", 500, ENVELOPE, None),
        ("unknown_kind", 200, b"OK", None),
        ("malformed_json", 400, ENVELOPE, "answered 400"),
        ("malformed_json", 500, b"<html>Internal Server Error</html>", "not JSON"),
        ("oversize", 500, json.dumps({"ok": False, "result": {}}).encode(), "result.error"),
        ("oversize", 500, json.dumps({"ok": True, "result": {"error": "x"}}).encode(), '"ok": false'),
        ("unknown_kind", 500, ENVELOPE, "answered 500"),
        ("malformed_json", 0, b"", "answered 0"),
    ],
)
def test_answers_to_bad_input_are_held_to_the_contract(
    kind: str, status: int, body: bytes, problem: str | None
) -> None:
    found = answer_problem(kind, status, body)
    assert found is None if problem is None else problem in str(found)


def test_bad_bodies_are_what_they_claim() -> None:
    with pytest.raises(ValueError):
        json.loads(MALFORMED_JSON)
    body = oversize_body(4400001)
    assert len(body) > OVERSIZE_BYTES > 102_400 and json.loads(body)["message"]["chat"]["id"] == 4400001


def _records(start_s: float, rate: float, seconds: float, ms: float, status: int = 200) -> list[dict[str, object]]:
    count = int(rate * seconds)
    return [{"t": start_s + i / rate, "sched": start_s + i / rate, "kind": "text", "status": status, "ms": ms}
            for i in range(count)]  # fmt: skip


def test_the_live_knee_check_judges_each_step_on_its_settled_part() -> None:
    spec = ShapeSpec("knee", users=20, duration_s=300, spawn_rate=5, rate=10, peak_rate=50, step_rate=10, step_s=30)
    knee = KneeTracker(spec, KneeLimits(error_ratio_max=0.01, latency_p95_max_s=0.25), start_s=100.0)
    # Step 0: a slow start (connections opening) in its first third only; held.
    for record in _records(100.0, 10, 10, ms=900) + _records(110.0, 10, 20, ms=20):
        knee.observe(record)
    # Step 1: slow throughout; bad input is not the service's rate and is left out.
    for record in _records(130.0, 20, 30, ms=400):
        knee.observe(record)
    knee.observe({"t": 150.0, "sched": 150.0, "kind": "bad_input", "status": 500, "ms": 1.0})
    assert not knee.due(31.9) and knee.due(32.0)  # 2 s after the step, its last answers are in
    first = knee.judge_next()
    assert first.held and first.sent == 300 and first.judged == 200 and first.p95_ms == 20
    second = knee.judge_next()
    assert not second.held and second.rate == 20 and "p95 400 ms > 250 ms" in second.crossed[0]


def test_the_live_knee_check_stops_after_two_failed_steps_in_a_row() -> None:
    spec = ShapeSpec("knee", users=20, duration_s=300, spawn_rate=5, rate=10, peak_rate=90, step_rate=10, step_s=10)
    knee = KneeTracker(spec, KneeLimits(latency_p95_max_s=0.25), start_s=0.0)
    for step, ms in enumerate((10, 900, 10, 900, 900, 10)):  # a stall at step 1, the limit from step 3
        for record in _records(step * 10.0, 10 + 10 * step, 10, ms=ms):
            knee.observe(record)
    held = []
    while not knee.finished(elapsed_s=1000.0):
        held.append(knee.judge_next().held)
    assert held == [True, False, True, False, False]


def test_the_live_knee_check_counts_errors_against_the_limit() -> None:
    spec = ShapeSpec("knee", users=20, duration_s=300, spawn_rate=5, rate=10, peak_rate=50, step_rate=10, step_s=30)
    knee = KneeTracker(spec, KneeLimits(error_ratio_max=0.01), start_s=0.0)
    for record in _records(0.0, 10, 28, ms=5) + _records(28.0, 10, 2, ms=5, status=502):
        knee.observe(record)
    # Updates cut short by the load's stop (status 0, no answer) are not the service's errors.
    for record in _records(29.0, 10, 1, ms=5, status=0):
        knee.observe({**record, "why": "load stopped"} | {"ms": None})
    result = knee.judge_next()
    assert not result.held and result.errors == 20 and "error ratio" in result.crossed[0]
    assert result.sent == 300, result
    assert knee.judge_next().crossed == ("nothing was sent",)


def test_settings_travel_as_json_intact() -> None:
    spec = ShapeSpec("knee", users=20, duration_s=300, spawn_rate=5, rate=10, peak_rate=50, step_rate=10, step_s=30)
    settings = LoadSettings(shape=spec, webhook_secret="s", new_chat_share=0.1, knee=KneeLimits(0.01, 0.5))
    assert LoadSettings.from_json(settings.to_json()) == settings


def _texts(start_s: float, step_s: float, rate: float, first_msg: int) -> list[dict[str, object]]:
    return [{"t": start_s + i / rate, "sched": start_s + i / rate, "kind": "text", "fwd": True, "status": 200,
             "chat": 4400000 + first_msg + i, "msg": first_msg + i, "ms": 5.0}
            for i in range(int(step_s * rate))]  # fmt: skip


def _replies(updates: list[dict[str, object]], after_s: float) -> list[str]:
    return [json.dumps({"t": float(u["t"]) + after_s, "up": "telegram", "route": "sendMessage", "status": 200,  # type: ignore[arg-type]
                        "ms": 1.0, "chat_id": u["chat"], "reply_to": u["msg"], "mark": "ok"})
            for u in updates]  # fmt: skip


def test_the_live_knee_check_judges_end_to_end_from_the_mocks_records(tmp_path: Path) -> None:
    """A service that answers its webhook at once while its work queues up fails its step live:
    the mocks' records show the replies 20 s late against a 10 s limit."""
    start_s = time.time() - 40.0
    spec = ShapeSpec("knee", users=20, duration_s=300, spawn_rate=5, rate=10, peak_rate=50, step_rate=10, step_s=30)
    calls = tmp_path / "upstream-calls.jsonl"
    limits = KneeLimits(e2e_latency_p95_max_s=10.0, calls_path=str(calls))
    knee = KneeTracker(spec, limits, start_s=start_s)
    held = _texts(start_s, 30, 10, 1)
    for record in held:
        knee.observe(record)
    calls.write_text("\n".join(_replies(held, 0.5)) + "\n")
    assert not knee.due(40.0)  # the step's last updates are not yet 10 s past their records
    knee.e2e.advance(start_s + 100.0)  # type: ignore[union-attr]
    queued = _texts(start_s + 30, 30, 20, 1001)
    for record in queued:
        knee.observe(record)
    with calls.open("a") as handle:
        handle.write("\n".join(_replies(queued, 20.0)) + "\n")
    knee.e2e.advance(start_s + 100.0)  # type: ignore[union-attr]
    assert knee.e2e.ready(1)  # type: ignore[union-attr]
    first, second = knee.judge_next(), knee.judge_next()
    assert first.held and first.e2e_p95_ms is not None and first.e2e_p95_ms <= 1000, first
    assert not second.held and second.crossed == () and "e2e p95 (text)" in second.e2e_crossed[0], second
    assert knee.failed_in_a_row == 1
