"""The reference bot's inbound surface (TARGET-CONTRACT §3): secrets, health, reserved routes,
the 404 and 500 envelopes, body limits, bad configuration and graceful shutdown."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from harness.mocks_launcher import MocksHandle
from harness.redis_backend import start_redis
from tests.integration.test_reference_bot_support import (
    BOT_DIR,
    CALLBACK_SECRET,
    Bot,
    Poster,
    all_counts,
    bot_env,
    delta,
    start_bot,
    text_update,
    wait_for,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
WEBHOOK_SECRET = "tg-secret_1"


@pytest.fixture
def bot(tmp_path: Path, mocks: MocksHandle) -> Iterator[Bot]:
    redis_handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    handle = None
    try:
        env = {"TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "APP_NAME": "Ref Bot", "APP_VERSION": "9.9.9"}
        handle = start_bot(tmp_path, mocks.urls, redis_handle.url, env)
        yield handle
    finally:
        if handle is not None:
            handle.child.stop()
        redis_handle.child.stop()


def body_of(raw: bytes) -> object:
    return json.loads(raw)


def test_health_reserved_routes_and_envelopes(bot: Bot) -> None:
    poster = Poster(bot)
    try:
        for path in ("/health", "/"):
            status, raw = poster.request("GET", path)
            assert (status, body_of(raw)) == (200, {"status": "healthy", "service": "Ref Bot", "version": "9.9.9"})
        status, raw = poster.request("POST", "/agent-tools", {})
        assert status == 501 and body_of(raw) == {
            "ok": False,
            "say": json.loads(raw)["say"],
            "result": {"error": "Not implemented"},
        }
        for method, path in (
            ("POST", "/cursor-runner/cursor/iterate"),
            ("POST", "/cursor-runner/git/push"),
            ("GET", "/cursor-runner/git/repositories"),
        ):
            status, raw = poster.request(method, path, {} if method == "POST" else None)
            assert status == 501 and json.loads(raw)["success"] is False
        status, raw = poster.request("GET", "/no/such/route")
        assert status == 404 and json.loads(raw)["result"] == {"error": "Not Found"} and json.loads(raw)["ok"] is False
        status, raw = poster.request(
            "POST", "/cursor-runner/callback", b"{not json", {"X-Webhook-Secret": CALLBACK_SECRET}
        )
        assert status == 500 and json.loads(raw)["ok"] is False and json.loads(raw)["result"]["error"]
        big = {"requestId": "x", "output": "a" * 110_000}
        status, raw = poster.request("POST", "/cursor-runner/callback", big, {"X-Webhook-Secret": CALLBACK_SECRET})
        assert status == 500 and json.loads(raw)["result"]["error"] == "request entity too large"
    finally:
        poster.close()


def test_webhook_secret_and_admin_auth(bot: Bot, mocks: MocksHandle) -> None:
    poster = Poster(bot)
    before = all_counts(mocks.urls)
    try:
        update = text_update(1, 77, 1, "/status")
        assert poster.request("POST", "/telegram/webhook", update) == (401, b"Unauthorized")
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "nope"}
        assert poster.request("POST", "/telegram/webhook", update, wrong) == (401, b"Unauthorized")
        assert poster.request("GET", "/telegram/webhook_info") == (401, b"Unauthorized")
        assert poster.request("GET", "/telegram/webhook_info?admin_secret=nope") == (401, b"Unauthorized")
        status, raw = poster.request("GET", f"/telegram/webhook_info?admin_secret={CALLBACK_SECRET}")
        assert status == 200 and json.loads(raw)["ok"] is True
        good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        assert poster.request("POST", "/telegram/webhook", update, good) == (200, b"OK")
        assert poster.request("POST", "/telegram/webhook", b"", good) == (200, b"OK")
    finally:
        poster.close()
    after = all_counts(mocks.urls)
    # Only the authorised admin call and the authorised /status reach Telegram.
    assert after.get("telegram.getWebhookInfo", 0) - before.get("telegram.getWebhookInfo", 0) == 1


def test_sigterm_exits_cleanly(bot: Bot) -> None:
    assert bot.child.stop(timeout_s=8.0) == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ELEVENLABS_API_KEY": ""}, "ELEVENLABS_API_KEY is required"),
        ({"PORT": "70000"}, "invalid PORT"),
        ({"NODE_ENV": "staging"}, "invalid NODE_ENV"),
        ({"LEAKS": "heap:1,nosuch:2"}, "unknown leak switch: nosuch"),
        ({"LEAKS": "fd:1.5"}, "bad rate for leak fd"),
        ({"CURSOR_RUNNER_MODE": "maybe"}, "invalid CURSOR_RUNNER_MODE"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_1(tmp_path: Path, env: dict[str, str], message: str) -> None:
    urls = {"telegram": "http://127.0.0.1:9", "elevenlabs": "http://127.0.0.1:9", "cursor_runner": "http://127.0.0.1:9"}
    full_env = bot_env(urls, "redis://127.0.0.1:9/0", tmp_path, 3999, env)
    done = subprocess.run(
        ["node", "src/index.js"], check=False, cwd=BOT_DIR, env=full_env, capture_output=True, text=True, timeout=15
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"reference-bot: {done.stderr.strip().split(': ', 1)[1]}"]
    assert message in done.stderr


def test_works_on_fakeredis_without_ready_check(tmp_path: Path, mocks: MocksHandle) -> None:
    """fakeredis has no INFO, so the bot runs there only with REDIS_READY_CHECK=0."""
    redis_handle = start_redis("fakeredis", tmp_path, tmp_path / "redis.log")
    handle = None
    try:
        handle = start_bot(tmp_path, mocks.urls, redis_handle.url, {"REDIS_READY_CHECK": "0"})
        before = all_counts(mocks.urls)
        poster = Poster(handle)
        poster.update(text_update(1, 88, 1, "hello from fakeredis"))
        poster.close()
        wait_for(lambda: delta(all_counts(mocks.urls), before).get("cursor_runner.iterate") == 1, 10.0, "a forward")
        # No callback comes (the mock has no callback URL), so the record stays, with its TTL.
        client = redis.Redis.from_url(redis_handle.url)
        keys = client.keys("cursor_runner_callback:*")
        ttls = [client.ttl(key) for key in keys]
        client.close()
        assert len(keys) == 1 and 3500 < ttls[0] <= 3600
    finally:
        if handle is not None:
            handle.child.stop()
        redis_handle.child.stop()
