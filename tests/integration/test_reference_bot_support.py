"""Helpers shared by the reference-bot tests: start the bot on loopback, post updates, read the
mocks' counters and measure the bot's resources from outside (psutil, redis-py, its TMPDIR)."""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis

from harness.mocks_launcher import MocksHandle, start_mocks
from harness.procs import Child, free_port, start_child, wait_until
from harness.redis_backend import RedisHandle, start_redis
from harness.target import health_ok
from mocks.config import DEFAULT_ELEVENLABS_API_KEY, DEFAULT_TELEGRAM_TOKEN, CursorRunnerConfig, MocksConfig

ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = ROOT / "examples" / "reference-bot"
TOKEN = DEFAULT_TELEGRAM_TOKEN
ELEVENLABS_KEY = DEFAULT_ELEVENLABS_API_KEY
CALLBACK_SECRET = "cb-secret"
LEAKS_SOURCE = BOT_DIR / "src" / "leaks.js"


@dataclass
class Bot:
    child: Child
    port: int
    tmp_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def process(self) -> psutil.Process:
        return psutil.Process(self.child.pid)


def bot_env(
    mocks: Mapping[str, str], redis_url: str, tmp_dir: Path, port: int, extra: Mapping[str, str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEAKS", "BOT_", "NODE_OPTIONS"))}
    env.update(
        {
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "NODE_ENV": "production",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_SECRET": CALLBACK_SECRET,
            "ELEVENLABS_API_KEY": ELEVENLABS_KEY,
            "TELEGRAM_API_BASE": mocks["telegram"],
            "ELEVENLABS_API_BASE": mocks["elevenlabs"],
            "CURSOR_RUNNER_URL": mocks["cursor_runner"],
            "REDIS_URL": redis_url,
            "TMPDIR": str(tmp_dir),
        }
    )
    env.update(extra)
    return env


def start_bot(
    work_dir: Path, mocks: Mapping[str, str], redis_url: str, extra: Mapping[str, str], port: int | None = None
) -> Bot:
    """Start the bot with its own TMPDIR under work_dir and wait for /health."""
    port = port or free_port()
    tmp_dir = work_dir / f"bot-tmp-{port}"
    tmp_dir.mkdir()
    env = bot_env(mocks, redis_url, tmp_dir, port, extra)
    argv = ["node", "src/index.js"]
    child = start_child("reference-bot", argv, env=env, cwd=BOT_DIR, log_path=work_dir / f"bot-{port}.log")
    try:
        wait_until(lambda: health_ok(f"http://127.0.0.1:{port}/health"), child, 15.0, "health")
    except Exception:
        child.stop()
        raise
    return Bot(child=child, port=port, tmp_dir=tmp_dir)


@dataclass
class Stack:
    bot: Bot
    mocks: MocksHandle
    redis: RedisHandle


def cursor_runner_calling_back(port: int, mode: str = "sync+callback", latency_s: float = 0.01) -> CursorRunnerConfig:
    """The cursor-runner mock, its callbacks sent to a bot listening on port."""
    return CursorRunnerConfig(
        mode=mode,  # type: ignore[arg-type]
        latency=latency_s,
        callback_delay="10 ms",
        callback_url=f"http://127.0.0.1:{port}/cursor-runner/callback",
        callback_secret=CALLBACK_SECRET,
    )


@contextmanager
def running_stack(
    tmp_path: Path, port: int, config: MocksConfig, bot_env_for: Callable[[MocksHandle], Mapping[str, str]]
) -> Iterator[Stack]:
    """Redis, the mocks and the bot on port (env from the running mocks), stopped in reverse order."""
    redis_handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    mocks = start_mocks(config.model_dump_json(), tmp_path)
    bot = None
    try:
        bot = start_bot(tmp_path, mocks.urls, redis_handle.url, bot_env_for(mocks), port=port)
        yield Stack(bot=bot, mocks=mocks, redis=redis_handle)
    finally:
        if bot is not None:
            bot.child.stop()
        mocks.child.stop()
        redis_handle.child.stop()


class Poster:
    """One keep-alive connection to the bot, so the inbound side holds a single socket."""

    def __init__(self, bot: Bot) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)

    def request(
        self, method: str, path: str, body: object = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            return self._send(method, path, data, all_headers)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The bot closes connections idle for 5 s (Node's keep-alive timeout): reconnect once.
            self.conn.close()
            return self._send(method, path, data, all_headers)

    def _send(self, method: str, path: str, data: bytes | None, headers: Mapping[str, str]) -> tuple[int, bytes]:
        self.conn.request(method, path, body=data, headers=dict(headers))
        response = self.conn.getresponse()
        return response.status, response.read()

    def update(self, update: Mapping[str, Any]) -> None:
        status, body = self.request("POST", "/telegram/webhook", update)
        assert (status, body) == (200, b"OK")

    def close(self) -> None:
        self.conn.close()


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def route_counts(mock_url: str) -> dict[str, int]:
    """Requests per route at one mock, all statuses together."""
    routes: dict[str, dict[str, int]] = get_json(f"{mock_url}/__mock__/stats")["routes"]
    return {route: sum(by_status.values()) for route, by_status in routes.items()}


def all_counts(mocks: Mapping[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in ("telegram", "elevenlabs", "cursor_runner"):
        for route, count in route_counts(mocks[name]).items():
            counts[f"{name}.{route}"] = count
    return counts


def delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    keys = set(after) | set(before)
    changed = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
    return {k: v for k, v in changed.items() if v}


def wait_for(
    predicate: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition", poll_s: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def settle(read: Callable[[], Mapping[str, int]], quiet_s: float = 0.4, timeout_s: float = 15.0) -> dict[str, int]:
    """Poll until the counters stop changing for quiet_s; returns the last reading."""
    deadline = time.monotonic() + timeout_s
    last = dict(read())
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = dict(read())
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= quiet_s:
            return last
    raise AssertionError("counters did not settle")


# Measurements of the bot from outside.


def rss_bytes(bot: Bot) -> int:
    rss: int = bot.process.memory_info().rss
    return rss


def fds_on(bot: Bot, path: Path) -> int:
    fd_dir = Path(f"/proc/{bot.child.pid}/fd")
    count = 0
    for entry in fd_dir.iterdir():
        try:
            if os.readlink(entry) == str(path):
                count += 1
        except OSError:
            continue
    return count


def tcp_to_port(bot: Bot, port: int) -> int:
    """ESTABLISHED connections from the bot to a local port (one upstream mock)."""
    conns = bot.process.net_connections(kind="tcp")
    return sum(1 for c in conns if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED)


def redis_clients(redis_url: str) -> int:
    """Clients connected to Redis, not counting this probe's own connection."""
    client = redis.Redis.from_url(redis_url)
    try:
        return len(client.client_list()) - 1
    finally:
        client.close()


def temp_files(bot: Bot, prefix: str) -> int:
    return sum(1 for p in bot.tmp_dir.iterdir() if p.name.startswith(prefix))


def runtime(bot: Bot, gc: bool = False) -> dict[str, Any]:
    """Handles, timers and listeners from the bot's debug route (BOT_DEBUG_ROUTES=1); gc=True
    collects garbage first (the bot must run with --expose-gc)."""
    return get_json(f"{bot.base_url}/__debug__/resources{'?gc=1' if gc else ''}")


def rss_after_gc_bytes(bot: Bot) -> int:
    runtime(bot, gc=True)
    return rss_bytes(bot)


def retained_bytes(bot: Bot) -> int:
    """JS heap plus external memory (Buffers) in use after a full GC: what the process keeps,
    without the allocator's and V8's slack that RSS also counts."""
    memory = runtime(bot, gc=True)["memory"]
    return int(memory["heapUsed"]) + int(memory["external"])


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", maxsplit=1)[0])


# Updates (TARGET-CONTRACT §3.1).


def text_update(update_id: int, chat_id: int, message_id: int, text: str, kind: str = "message") -> dict[str, Any]:
    message = {"message_id": message_id, "date": 1767000000, "chat": {"id": chat_id, "type": "private"}, "text": text}
    return {"update_id": update_id, kind: message}


def voice_update(update_id: int, chat_id: int, message_id: int, file_id: str, field: str = "voice") -> dict[str, Any]:
    media: dict[str, Any] = {"file_id": file_id, "duration": 6, "mime_type": "audio/ogg", "file_size": 21034}
    if field == "document":
        media = {"file_id": file_id, "file_name": "memo.ogg", "mime_type": "audio/ogg", "file_size": 90112}
    message = {"message_id": message_id, "date": 1767000000, "chat": {"id": chat_id, "type": "private"}, field: media}
    return {"update_id": update_id, "message": message}


def callback_query_update(update_id: int, chat_id: int, message_id: int, query_id: str, data: str) -> dict[str, Any]:
    message = {
        "message_id": message_id,
        "date": 1767000100,
        "chat": {"id": chat_id, "type": "private"},
        "text": "Choose:",
    }
    query = {"id": query_id, "chat_instance": "-1", "from": {"id": chat_id, "is_bot": False}, "data": data}
    return {"update_id": update_id, "callback_query": {**query, "message": message}}
