"""The target's Redis clients, counted by the Redis probe against a real redis-server with real
clients: the target's own (and its child's), never another process's or the collector's, never
one the server dropped; right when the target closes clients and reuses their fd numbers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_client

from harness.collector import metrics
from harness.collector.redis_probe import RedisProbe
from harness.redis_backend import RedisHandle, start_redis
from tests.integration.node.support import node_env

NODE_CLIENTS = Path(__file__).parent / "node" / "ioredis_clients.js"

# Another process using the same server (Redis shared when attached with `soak collect`); the
# target also starts one as its child, whose clients are the target's.
_OTHER = """
import sys, redis
held = [redis.Redis(port=int(sys.argv[1]), single_connection_client=True) for _ in range(int(sys.argv[2]))]
for c in held:
    c.ping()
print("ok", flush=True)
sys.stdin.read()
"""


# The stand-in target: one command a line, then one JSON line with the clients it holds (its
# child's included) and the server-side ids of its own.
_TARGET = """
import json, subprocess, sys, redis
port, OTHER = int(sys.argv[1]), sys.argv[2]
clients, files, children, subs = [], [], [], []
def client():
    c = redis.Redis(port=port, single_connection_client=True)
    c.ping()
    return c
for line in sys.stdin:
    verb, n = line.split()
    n = int(n)
    if verb == "open":
        clients += [client() for _ in range(n)]
    elif verb == "close":
        for c in clients[:n]:
            c.close()
        clients = clients[n:]
    elif verb == "files":  # takes the fd numbers just freed
        files += [open("/dev/null") for _ in range(n)]
    elif verb == "subscribe":
        pubsub = redis.Redis(port=port).pubsub()
        pubsub.subscribe("news")
        pubsub.get_message(timeout=1)
        subs.append(pubsub)
    elif verb == "spawn":
        child = subprocess.Popen([sys.executable, "-c", OTHER, str(port), str(n)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        child.stdout.readline()
        children.append((child, n))
    held = len(clients) + len(subs) + sum(k for _, k in children)
    ids = [int(c.client_id()) for c in clients]
    print(json.dumps({"held": held, "ids": ids}), flush=True)
"""


class _Target:
    def __init__(self, port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _TARGET, str(port), _OTHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.ids: list[int] = []

    def do(self, verb: str, count: int = 0) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{verb} {count}\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        self.ids = reply["ids"]
        return int(reply["held"])

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # its children read stdin to its end too: they exit with it
        self.process.kill()
        self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisHandle]:
    handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    try:
        yield handle
    finally:
        handle.child.stop()


def _other(port: int, count: int) -> subprocess.Popen[str]:
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER, str(port), str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert other.stdout is not None and other.stdout.readline().strip() == "ok"
    return other


def _target_clients(probe: RedisProbe) -> float:
    value = probe.sample()[metrics.REDIS_TARGET_CLIENTS]
    assert isinstance(value, float), value
    return value


def test_only_the_targets_own_live_clients_are_counted_sample_after_sample(server: RedisHandle) -> None:
    mine = redis_client.Redis(port=server.port)
    mine.ping()  # the collector's process holds clients too (its probe's, a fault window's)
    other = _other(server.port, 30)
    target = _Target(server.port)
    probe = RedisProbe(server.url, ("x:",), target.process.pid, budget_s=0.5)
    admin = redis_client.Redis(port=server.port)
    seen: list[tuple[str, int, float]] = []
    try:
        assert _target_clients(probe) == 0
        for verb, count in (("open", 5), ("open", 120), ("subscribe", 0), ("spawn", 7), ("close", 40),
                            ("files", 25), ("open", 60), ("close", 10), ("open", 10)):  # fmt: skip
            held = target.do(verb, count)
            seen.append((f"{verb} {count}", held, _target_clients(probe)))
        # The server drops some of the target's clients; the target still holds their sockets.
        for client_id in target.ids[:9]:
            admin.client_kill_filter(_id=client_id)
        time.sleep(0.2)  # the FINs cross loopback
        seen.append(("server dropped 9", seen[-1][1] - 9, _target_clients(probe)))
        total = admin.info("clients")["connected_clients"]
    finally:
        probe.close()
        target.stop()
        other.kill()
        other.wait()
        mine.close()
        admin.close()
    assert [counted for _, _, counted in seen] == [float(held) for _, held, _ in seen], seen
    assert seen[-1][2] == 5 + 120 + 1 + 7 - 40 + 60 - 10 + 10 - 9
    # Besides the target's, the server had the other process's 30, this process's 2 and the probe's.
    assert total == seen[-1][2] + 30 + 2 + 1


def test_a_target_holding_clients_from_the_first_sample_and_a_shared_server(server: RedisHandle) -> None:
    """The first sample reads every fd; a foreign client opened later is looked for once, then
    known as foreign while the target's count stays right."""
    target = _Target(server.port)
    try:
        held = target.do("open", 300)
        probe = RedisProbe(server.url, (), target.process.pid, budget_s=0.5)
        first = _target_clients(probe)
        other = _other(server.port, 12)
        after_other = [_target_clients(probe) for _ in range(3)]
        held = target.do("open", 4)
        grown = _target_clients(probe)
        other.kill()
        other.wait()
        time.sleep(0.2)
        after_other_left = _target_clients(probe)
        probe.close()
    finally:
        target.stop()
    assert first == 300
    assert after_other == [300, 300, 300]
    assert grown == held == 304
    assert after_other_left == 304


def test_ioredis_clients_and_a_subscriber_of_a_node_target(server: RedisHandle) -> None:
    """A Node service as services use Redis: two ioredis clients and a subscriber connection."""
    node = subprocess.Popen(
        ["node", str(NODE_CLIENTS), str(server.port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=node_env({}),
    )
    try:
        assert node.stdout is not None
        ready = json.loads(node.stdout.readline())
        probe = RedisProbe(server.url, (), node.pid, budget_s=0.5)
        counted = _target_clients(probe)
        probe.close()
    finally:
        node.kill()
        node.wait()
    assert ready == {"clients": 3}
    assert counted == 3


def test_a_server_that_does_not_answer_leaves_the_count_missing(tmp_path: Path) -> None:
    handle = start_redis("redis-server", tmp_path, tmp_path / "redis.log")
    target = _Target(handle.port)
    try:
        target.do("open", 3)
        probe = RedisProbe(handle.url, (), target.process.pid, budget_s=0.5)
        up = probe.sample()
        handle.child.stop()
        down = probe.sample()
        probe.close()
    finally:
        target.stop()
        handle.child.stop()
    assert up[metrics.REDIS_TARGET_CLIENTS] == 3 and up[metrics.REDIS_UP] == 1
    assert down[metrics.REDIS_UP] == 0
    assert "does not answer" in str(down[metrics.REDIS_TARGET_CLIENTS])
