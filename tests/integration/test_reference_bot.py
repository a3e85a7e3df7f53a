"""The reference bot against the real mocks and Redis: one update of each kind, and the upstream
calls seen at the mocks (and the Redis commands seen by redis-server) match TARGET-CONTRACT §5."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import redis

from harness.procs import free_port
from mocks.config import ElevenLabsConfig, MocksConfig
from tests.integration.test_reference_bot_support import (
    CALLBACK_SECRET,
    Poster,
    Stack,
    all_counts,
    callback_query_update,
    cursor_runner_calling_back,
    delta,
    port_of,
    running_stack,
    settle,
    tcp_to_port,
    text_update,
    voice_update,
    wait_for,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

LOCAL_FILE_ID = "AwACAgIAAxkDAAE-local"
EMPTY_FILE_ID = "AwACAgIAAxkDAAE-empty"
TG, EL, CR = "telegram.", "elevenlabs.", "cursor_runner."


def _start_stack(tmp_path: Path, cr_mode: str, bot_env: Mapping[str, str], latency_s: float = 0.01) -> Iterator[Stack]:
    port = free_port()
    config = MocksConfig(
        elevenlabs=ElevenLabsConfig(transcripts={LOCAL_FILE_ID: "/status", EMPTY_FILE_ID: ""}),
        cursor_runner=cursor_runner_calling_back(port, cr_mode, latency_s),
    )
    with running_stack(tmp_path, port, config, lambda _mocks: bot_env) as stack:
        yield stack


@pytest.fixture
def loud_stack(tmp_path: Path) -> Iterator[Stack]:
    """S=1, A=1; CR called synchronously, results come back by callback (sync+callback)."""
    env = {"BOT_DEBUG": "1", "BOT_ALLOW_AUDIO_OUTPUT": "1", "CURSOR_RUNNER_MODE": "sync"}
    yield from _start_stack(tmp_path, "sync+callback", env)


@pytest.fixture
def quiet_stack(tmp_path: Path) -> Iterator[Stack]:
    """S=0, A=0; CR called on /cursor/iterate/async with a callbackUrl."""
    yield from _start_stack(tmp_path, "sync", {"CURSOR_RUNNER_MODE": "async"})


def redis_calls(url: str) -> dict[str, int]:
    client = redis.Redis.from_url(url)
    try:
        stats: dict[str, dict[str, Any]] = client.info("commandstats")
    finally:
        client.close()
    wanted = ("setex", "get", "del")
    return {name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in wanted}


def observe(stack: Stack, send: Any, expected: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Do `send`, wait for the expected calls (or a timeout), then for quiet; return the deltas."""
    mocks_before, redis_before = all_counts(stack.mocks.urls), redis_calls(stack.redis.url)
    send()

    def reached() -> bool:
        seen = delta(all_counts(stack.mocks.urls), mocks_before)
        return all(seen.get(route, 0) >= count for route, count in expected.items() if not route.startswith("redis."))

    wait_for(reached, 10.0, f"calls {dict(expected)}")
    mocks_after = settle(lambda: all_counts(stack.mocks.urls), quiet_s=0.3)
    redis_delta = {f"redis.{k}": v for k, v in delta(redis_calls(stack.redis.url), redis_before).items()}
    return delta(mocks_after, mocks_before), redis_delta


def check_budget(stack: Stack, send: Any, expected: dict[str, int]) -> None:
    seen, redis_seen = observe(stack, send, expected)
    assert {**seen, **redis_seen} == expected
    assert list(stack.bot.tmp_dir.iterdir()) == [], "temp files left behind"


FORWARD_LOUD = {f"{TG}sendMessage": 2, f"{CR}iterate": 1, "redis.setex": 1, "redis.get": 1, "redis.del": 1}
AUDIO_LOUD = {
    f"{TG}sendMessage": 2,  # 🎤 and ⏳; the result goes out as a voice note (A=1)
    f"{TG}getFile": 1,
    f"{TG}file": 1,
    f"{EL}speech_to_text": 1,
    f"{CR}iterate": 1,
    f"{EL}text_to_speech": 1,
    f"{TG}sendVoice": 1,
    "redis.setex": 1,
    "redis.get": 1,
    "redis.del": 1,
}


def test_every_update_kind_within_budget_with_status_and_audio_on(loud_stack: Stack) -> None:
    poster = Poster(loud_stack.bot)
    chat = 5500001
    cases: list[tuple[dict[str, Any], dict[str, int]]] = [
        (text_update(1, chat, 10, "List failing tests on main"), FORWARD_LOUD),
        (text_update(2, chat, 10, "List failing tests on develop", kind="edited_message"), FORWARD_LOUD),
        (voice_update(3, chat, 11, "AwACAgIAAxkDAAE-v11"), AUDIO_LOUD),
        (voice_update(4, chat, 12, "CQACAgIAAxkDAAE-a12", field="audio"), AUDIO_LOUD),
        (voice_update(5, chat, 13, "BQACAgIAAxkDAAE-d13", field="document"), AUDIO_LOUD),
        (
            voice_update(6, chat, 14, LOCAL_FILE_ID),
            {
                f"{TG}sendMessage": 1,
                f"{TG}getFile": 1,
                f"{TG}file": 1,
                f"{EL}speech_to_text": 1,
                f"{EL}text_to_speech": 1,
                f"{TG}sendVoice": 1,
            },
        ),
        (
            voice_update(7, chat, 15, EMPTY_FILE_ID),
            {f"{TG}sendMessage": 2, f"{TG}getFile": 1, f"{TG}file": 1, f"{EL}speech_to_text": 1},
        ),
        (text_update(8, chat, 16, "/start"), {f"{TG}sendMessage": 1}),
        (text_update(9, chat, 17, "/STATUS"), {f"{TG}sendMessage": 1}),
        (
            {"update_id": 10, "message": {"message_id": 18, "chat": {"id": chat}, "sticker": {}}},
            {f"{TG}sendMessage": 1},
        ),
        (
            callback_query_update(11, chat, 19, "q-11", "rerun nightly build"),
            {**FORWARD_LOUD, f"{TG}answerCallbackQuery": 1},
        ),
        (callback_query_update(12, chat, 20, "q-12", "/help"), {f"{TG}answerCallbackQuery": 1, f"{TG}sendMessage": 1}),
        (callback_query_update(13, chat, 21, "q-13", ""), {f"{TG}answerCallbackQuery": 1, f"{TG}sendMessage": 1}),
    ]
    try:
        for update, expected in cases:
            check_budget(loud_stack, lambda u=update: poster.update(u), expected)
        # An unknown kind: nothing at all, so wait only for quiet.
        seen, redis_seen = observe(loud_stack, lambda: poster.update({"update_id": 14, "channel_post": {}}), {})
        assert (seen, redis_seen) == ({}, {})
    finally:
        poster.close()


def test_every_update_kind_within_budget_quiet_and_async(quiet_stack: Stack) -> None:
    poster = Poster(quiet_stack.bot)
    chat = 5500002
    forward = {f"{TG}sendMessage": 1, f"{CR}iterate_async": 1, "redis.setex": 1, "redis.get": 1, "redis.del": 1}
    audio = {**forward, f"{TG}getFile": 1, f"{TG}file": 1, f"{EL}speech_to_text": 1}
    cases: list[tuple[dict[str, Any], dict[str, int]]] = [
        (text_update(1, chat, 10, "List failing tests on main"), forward),
        (voice_update(2, chat, 11, "AwACAgIAAxkDAAE-q11"), audio),
        (
            voice_update(3, chat, 12, LOCAL_FILE_ID),
            {f"{TG}sendMessage": 1, f"{TG}getFile": 1, f"{TG}file": 1, f"{EL}speech_to_text": 1},
        ),
        (text_update(4, chat, 13, "/help"), {f"{TG}sendMessage": 1}),
        (callback_query_update(5, chat, 14, "q-5", "deploy staging"), {**forward, f"{TG}answerCallbackQuery": 1}),
    ]
    try:
        for update, expected in cases:
            check_budget(quiet_stack, lambda u=update: poster.update(u), expected)
    finally:
        poster.close()


def test_admin_calls_and_callbacks_within_budget(quiet_stack: Stack) -> None:
    poster = Poster(quiet_stack.bot)
    admin = {"X-Admin-Secret": CALLBACK_SECRET}
    try:
        for method, path, route in (
            ("POST", "/telegram/set_webhook", "setWebhook"),
            ("GET", "/telegram/webhook_info", "getWebhookInfo"),
            ("DELETE", "/telegram/webhook", "deleteWebhook"),
        ):
            statuses: list[int] = []
            check_budget(
                quiet_stack,
                lambda m=method, p=path, out=statuses: out.append(poster.request(m, p, {}, admin)[0]),
                {f"{TG}{route}": 1},
            )
            assert statuses == [200]
        unknown = {"requestId": "telegram-1-00000000", "success": True, "output": "x"}
        secret = {"X-Webhook-Secret": CALLBACK_SECRET}
        answers: list[tuple[int, bytes]] = []
        check_budget(
            quiet_stack,
            lambda: answers.append(poster.request("POST", "/cursor-runner/callback", unknown, secret)),
            {"redis.get": 1},
        )
        check_budget(
            quiet_stack, lambda: answers.append(poster.request("POST", "/cursor-runner/callback", {}, secret)), {}
        )
        check_budget(
            quiet_stack, lambda: answers.append(poster.request("POST", "/cursor-runner/callback", unknown, {})), {}
        )
        assert [status for status, _ in answers] == [200, 400, 401]
        assert b"Request not found" in answers[0][1]
    finally:
        poster.close()


@pytest.fixture
def slow_stack(tmp_path: Path) -> Iterator[Stack]:
    """S=1 and a cursor-runner that takes 1 s to answer."""
    yield from _start_stack(tmp_path, "sync", {"BOT_DEBUG": "1", "CURSOR_RUNNER_MODE": "sync"}, latency_s=1.0)


def test_sigterm_lets_updates_in_flight_finish(slow_stack: Stack) -> None:
    poster = Poster(slow_stack.bot)
    before = all_counts(slow_stack.mocks.urls)
    poster.update(text_update(1, 5500003, 10, "slow prompt"))
    poster.close()
    cr_port = port_of(slow_stack.mocks.urls["cursor_runner"])
    wait_for(lambda: tcp_to_port(slow_stack.bot, cr_port) == 1, 5.0, "the CR call under way")
    assert slow_stack.bot.child.stop(timeout_s=8.0) == 0
    # The ⏳ reply goes out after CR answered, which was after SIGTERM.
    assert delta(all_counts(slow_stack.mocks.urls), before) == {f"{CR}iterate": 1, f"{TG}sendMessage": 1}


def set_faults(mock_url: str, faults: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{mock_url}/__mock__/faults",
        data=json.dumps({"faults": faults}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def open_tmp_fds(stack: Stack) -> int:
    fd_dir = Path(f"/proc/{stack.bot.child.pid}/fd")
    tmp = str(stack.bot.tmp_dir)
    return sum(1 for fd in fd_dir.iterdir() if os.readlink(fd).startswith(tmp))


def test_failed_stt_and_sendvoice_stay_within_budget_and_leave_no_files(loud_stack: Stack) -> None:
    poster = Poster(loud_stack.bot)
    chat = 5500004
    try:
        set_faults(loud_stack.mocks.urls["elevenlabs"], [{"route": "speech_to_text", "kind": "error", "status": 500}])
        expected = {f"{TG}sendMessage": 2, f"{TG}getFile": 1, f"{TG}file": 1, f"{EL}speech_to_text": 1}
        check_budget(loud_stack, lambda: poster.update(voice_update(1, chat, 10, "AwACAgIAAxkD-f1")), expected)
        set_faults(loud_stack.mocks.urls["elevenlabs"], [])
        set_faults(loud_stack.mocks.urls["telegram"], [{"route": "sendVoice", "kind": "error", "status": 500}])
        # Voice -> /status with A=1: TTS, a failed sendVoice, then the same text as a message.
        expected = {
            f"{TG}sendMessage": 2,
            f"{TG}getFile": 1,
            f"{TG}file": 1,
            f"{EL}speech_to_text": 1,
            f"{EL}text_to_speech": 1,
            f"{TG}sendVoice": 1,
        }
        check_budget(loud_stack, lambda: poster.update(voice_update(2, chat, 11, LOCAL_FILE_ID)), expected)
        assert open_tmp_fds(loud_stack) == 0
    finally:
        poster.close()


def test_two_updates_with_one_file_do_not_share_a_temp_file(quiet_stack: Stack) -> None:
    """A forward or a redelivery brings the same file id twice at once. On the contract's temp name
    alone, the first update's cleanup deletes the file the second is still downloading into, and
    the second upload breaks (soak's peak run caught it as a contract violation at ElevenLabs)."""
    poster = Poster(quiet_stack.bot)
    chat = 5500006
    # Dribbled downloads (~0.4 s each) started 0.2 s apart: the first finishes, transcribes and
    # cleans up while the second is still writing.
    set_faults(quiet_stack.mocks.urls["telegram"], [{"route": "file", "kind": "dribble", "dribble_rate": "50 kB/s"}])
    audio = {f"{TG}getFile": 2, f"{TG}file": 2, f"{EL}speech_to_text": 2, f"{CR}iterate_async": 2}
    try:
        seen, _ = observe(
            quiet_stack,
            lambda: [
                poster.update(voice_update(n, chat, 20 + n, "AwACAgIAAxkDAAE-same")) or time.sleep(0.2) for n in (1, 2)
            ],
            audio,
        )
    finally:
        poster.close()
        set_faults(quiet_stack.mocks.urls["telegram"], [])
    assert {route: seen.get(route, 0) for route in audio} == audio
    stats = json.loads(urllib.request.urlopen(f"{quiet_stack.mocks.urls['elevenlabs']}/__mock__/stats").read())
    assert stats["routes"]["speech_to_text"] == {"200": 2} and stats["contract_violations"] == 0
    assert list(quiet_stack.bot.tmp_dir.iterdir()) == [], "temp files left behind"
