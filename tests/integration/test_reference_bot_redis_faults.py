"""The reference bot through a Redis-down window: the clean bot apologises and reconnects; the
`crash-on-redis-error` defect (a forgotten await on the Redis write) ends the process."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from harness.config import RedisFault
from harness.documents.events import EventLog
from harness.procs import free_port
from harness.redis_faults import RedisFaultPlayer
from mocks.config import MocksConfig
from tests.integration.test_reference_bot_support import (
    Poster,
    Stack,
    all_counts,
    cursor_runner_calling_back,
    delta,
    running_stack,
    settle,
    text_update,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("redis-server") is None, reason="needs node and redis-server"
)
TG, CR = "telegram.", "cursor_runner."
DOWN_START_S, DOWN_END_S = 1.0, 5.0


def stack_with(tmp_path: Path, env: dict[str, str]) -> Iterator[Stack]:
    port = free_port()
    config = MocksConfig(cursor_runner=cursor_runner_calling_back(port, "sync+callback"))
    with running_stack(tmp_path, port, config, lambda _mocks: env) as stack:
        yield stack


@pytest.fixture
def clean(tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(tmp_path, {})


@pytest.fixture
def crashing(tmp_path: Path) -> Iterator[Stack]:
    yield from stack_with(tmp_path, {"BOT_DEFECTS": "crash-on-redis-error"})


def down_window(stack: Stack, tmp_path: Path) -> tuple[RedisFaultPlayer, float]:
    t0 = time.monotonic()
    window = RedisFault.model_validate({"kind": "down", "start": DOWN_START_S, "end": DOWN_END_S})
    player = RedisFaultPlayer(stack.redis, (window,), EventLog(tmp_path, t0), t0)
    player.start()
    wait_for(lambda: stack.redis.child.exit_code() is not None, 5.0, "redis to go down")
    return player, t0


def test_clean_bot_apologises_while_redis_is_down_and_forwards_once_it_is_back(clean: Stack, tmp_path: Path) -> None:
    poster = Poster(clean.bot)
    player, t0 = down_window(clean, tmp_path)
    try:
        before = all_counts(clean.mocks.urls)
        poster.update(text_update(1, 100, 10, "run the tests"))
        during = delta(settle(lambda: all_counts(clean.mocks.urls)), before)
        assert time.monotonic() - t0 < DOWN_END_S, "the update was not handled inside the window"
        wait_for(
            lambda: any(
                json.loads(line)["event"] == "redis_target_reconnected"
                for line in (tmp_path / "events.jsonl").read_text().splitlines()
            ),
            15.0,
            "the bot to reconnect",
        )
        before = all_counts(clean.mocks.urls)
        poster.update(text_update(2, 100, 11, "run the tests again"))
        after = delta(settle(lambda: all_counts(clean.mocks.urls)), before)
    finally:
        player.stop()
        poster.close()
    # Down: the record cannot be written, so nothing goes to CR and the user gets the apology.
    assert during == {f"{TG}sendMessage": 1}
    # Back: forwarded as usual, and CR's callback finds the record the bot wrote after reconnecting.
    assert after == {f"{CR}iterate": 1, f"{TG}sendMessage": 1}
    assert clean.bot.child.exit_code() is None and player.error is None
    assert redis.Redis(port=clean.redis.port).ping()


def test_crash_on_redis_error_ends_the_bot_when_redis_is_down(crashing: Stack, tmp_path: Path) -> None:
    poster = Poster(crashing.bot)
    player, _ = down_window(crashing, tmp_path)
    try:
        poster.update(text_update(1, 100, 10, "run the tests"))
        wait_for(lambda: crashing.bot.child.exit_code() is not None, 15.0, "the bot to exit")
    finally:
        player.stop()
        poster.close()
    log = (tmp_path / f"bot-{crashing.bot.port}.log").read_text()
    assert crashing.bot.child.exit_code() == 1 and "MaxRetriesPerRequestError" in log
