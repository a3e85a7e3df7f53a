"""Both Redis backends start on a free port, answer, and stop with their process."""

import redis

from harness.redis_backend import RedisHandle


def test_backend_answers_and_keeps_ttl(redis_handle: RedisHandle) -> None:
    client = redis.Redis.from_url(redis_handle.url)
    client.set("cursor_runner_callback:x", "{}", ex=3600)
    assert client.get("cursor_runner_callback:x") == b"{}"
    assert 0 < client.ttl("cursor_runner_callback:x") <= 3600
    client.close()


def test_backend_stops(redis_handle: RedisHandle) -> None:
    redis_handle.child.stop()
    assert redis_handle.child.exit_code() is not None
