"""Redis fault windows on a real redis-server: down (and back with its data), pause, slow, kill_clients."""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.config import RedisFault
from harness.documents.events import EventLog
from harness.procs import HarnessError
from harness.redis_backend import RedisHandle, start_redis
from harness.redis_faults import RedisFaultPlayer

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server on PATH")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisHandle]:
    handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    yield handle
    handle.child.stop()


def fault(**fields: Any) -> RedisFault:
    return RedisFault.model_validate(fields)


def player_for(server: RedisHandle, tmp_path: Path, *faults: RedisFault) -> tuple[RedisFaultPlayer, float]:
    t0 = time.monotonic()
    player = RedisFaultPlayer(server, faults, EventLog(tmp_path, t0), t0)
    player.start()
    return player, t0


def events(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]


def wait_until(at_s: float, t0: float) -> None:
    time.sleep(max(0.0, t0 + at_s - time.monotonic()))


def _opened(tmp_path: Path) -> bool:
    path = tmp_path / "events.jsonl"
    return path.exists() and any(e["event"] == "fault_window_start" for e in events(tmp_path))


def timed(call: Callable[[], object]) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def target_client(server: RedisHandle) -> redis.Redis:
    # No retries: the test sees each refusal, as a client without retries would.
    return redis.Redis(port=server.port, socket_timeout=10.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0))


def test_down_stops_redis_and_starts_it_again_on_its_port_with_its_data(server: RedisHandle, tmp_path: Path) -> None:
    client = target_client(server)
    client.set("cursor_runner_callback:a", "{}", ex=3600)
    first_pid, port = server.child.pid, server.port
    player, t0 = player_for(server, tmp_path, fault(kind="down", start="1 s", end="2500 ms"))
    try:
        wait_until(1.8, t0)
        with pytest.raises(redis.ConnectionError):
            client.get("cursor_runner_callback:a")
        assert server.child.exit_code() == 0 and player.excuses(server.child)
        wait_until(3.0, t0)
        assert client.get("cursor_runner_callback:a") == b"{}"
        assert 0 < client.ttl("cursor_runner_callback:a") <= 3600
        assert server.child.exit_code() is None and server.child.pid != first_pid and server.port == port
        deadline = time.monotonic() + 5
        while not any(e["event"] == "redis_target_reconnected" for e in events(tmp_path)):
            assert time.monotonic() < deadline, "no reconnect event"
            time.sleep(0.1)
    finally:
        player.stop()
        client.close()
    assert player.error is None
    start, end, reconnect = [e for e in events(tmp_path) if e.get("upstream") == "redis"]
    assert (start["event"], start["kind"], start["route"]) == ("fault_window_start", "down", "*")
    assert 1.0 <= start["t_s"] < 1.5 and 2.5 <= end["t_s"] < 4.0 and end["data_saved"] is True
    assert reconnect["event"] == "redis_target_reconnected" and 0 <= reconnect["after_s"] < 5


def test_pause_holds_commands_until_the_window_ends(server: RedisHandle, tmp_path: Path) -> None:
    client = target_client(server)
    player, t0 = player_for(server, tmp_path, fault(kind="pause", start="1 s", end="2500 ms"))
    try:
        before_s = timed(lambda: client.get("k"))
        wait_until(1.3, t0)
        held_s = timed(lambda: client.get("k"))
        after_s = timed(lambda: client.get("k"))
    finally:
        player.stop()
        client.close()
    assert player.error is None
    # Sent at 1.3 s, answered when the pause ends at 2.5 s.
    assert before_s < 0.5 and 0.9 < held_s < 2.0 and after_s < 0.5
    assert [e["event"] for e in events(tmp_path)] == ["fault_window_start", "fault_window_end"]


def test_slow_delays_every_command_by_up_to_the_stall(server: RedisHandle, tmp_path: Path) -> None:
    client = target_client(server)
    player, t0 = player_for(server, tmp_path, fault(kind="slow", stall="200 ms", start="1 s", end="6 s"))
    try:
        quick = [timed(lambda: client.get("k")) for _ in range(10)]
        wait_until(1.3, t0)
        # On a loaded machine the player's thread may open the window late: measure once it has.
        started = time.monotonic()
        while not _opened(tmp_path) and time.monotonic() - started < 4.0:
            time.sleep(0.05)
        # Spaced like a service's commands, which arrive whenever its requests do: sent back to back,
        # they ran in the moment between two stalls, before the player's thread (in this process,
        # on a busy machine) had sent the next DEBUG SLEEP.
        slow = []
        for _ in range(10):
            slow.append(timed(lambda: client.get("k")))
            time.sleep(0.1)
        wait_until(6.5, t0)
        after = [timed(lambda: client.get("k")) for _ in range(10)]
    finally:
        player.stop()
        client.close()
    assert player.error is None
    # Uniform waits in [0, 200 ms]: a median under 20 ms among 10 has odds near 1e-7.
    assert statistics.median(quick) < 0.02 and statistics.median(after) < 0.02
    assert statistics.median(slow) > 0.02 and max(slow) < 0.5
    end = next(e for e in events(tmp_path) if e["event"] == "fault_window_end")
    assert end["stalls"] >= 10


def test_kill_clients_drops_the_targets_connections_and_spares_the_harnesss(
    server: RedisHandle, tmp_path: Path
) -> None:
    harness_client = redis.Redis(port=server.port, client_name="soak-collector")
    harness_id = harness_client.client_id()
    target = socket.create_connection(("127.0.0.1", server.port), timeout=5.0)
    player, t0 = player_for(server, tmp_path, fault(kind="kill_clients", every="500 ms", start="1 s", end="2 s"))
    try:
        wait_until(1.5, t0)
        assert target.recv(16) == b""  # closed by the server
        assert harness_client.client_id() == harness_id  # the same connection, not a new one
        wait_until(2.3, t0)
    finally:
        player.stop()
        target.close()
        harness_client.close()
    assert player.error is None
    end = next(e for e in events(tmp_path) if e["event"] == "fault_window_end")
    assert end["killed"] == 1


def test_an_unplanned_death_is_not_excused(server: RedisHandle, tmp_path: Path) -> None:
    player, _ = player_for(server, tmp_path, fault(kind="pause", start="1 min", end="2 min"))
    try:
        server.child.stop()
        assert server.child.exit_code() is not None and not player.excuses(server.child)
    finally:
        player.stop()


def test_fakeredis_cannot_play_redis_faults(tmp_path: Path) -> None:
    handle = start_redis("fakeredis", tmp_path, tmp_path / "redis.log")
    try:
        with pytest.raises(HarnessError, match="redis faults need redis-server"):
            RedisFaultPlayer(handle, (fault(kind="down", start=1, end=2),), EventLog(tmp_path, 0.0), 0.0)
    finally:
        handle.child.stop()
