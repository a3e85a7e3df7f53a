"""Cost of counting the target's Redis clients, by step, against the number of clients it holds.

A helper process (standing in for the target) holds N plain TCP connections to a real
redis-server; the collector's Redis probe then samples it. Prints medians (wall and this
thread's CPU, which is what the probe's CPU share is charged) of each step: INFO, the CLIENT
LIST reply, parsing it (redis-py's generic parser and the probe's own), the socket-inode scan of
the target's fds, the sock_diag dump toward Redis's port, one SCAN step, and the whole sample.
The machine is shared (2 cores, other engineers' runs): read figures as orders of magnitude.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
from redis._parsers.helpers import parse_client_list

from harness.collector import metrics
from harness.collector.held_sockets import HeldSockets
from harness.collector.procfs import TcpState, descendants, socket_inodes
from harness.collector.redis_probe import RedisProbe, established_toward
from harness.collector.sockdiag import ALL_STATES, state_mask, tcp_sockets
from harness.redis_backend import start_redis

COUNTS = (100, 1000, 5000, 10_000)
ROUNDS = 7
KEYS = 2000
NEW_PER_SAMPLE = 100  # as many new clients as 20 updates/s leaking one each make in a 5 s period
LIVE = ALL_STATES & ~state_mask(TcpState.TIME_WAIT, TcpState.LISTEN)
# Opens N connections (no command sent: Redis registers a client on accept); then for each line
# k read, closes its k oldest and opens k new (which take the fd numbers just freed, the hard case
# for a cache of fd links); says how many it holds each time.
_HOLDER = """
import socket, sys
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(int(sys.argv[2]))]
print(len(held), flush=True)
for line in sys.stdin:
    for old in held[:int(line)]:
        old.close()
    held = held[int(line):] + [socket.create_connection(("127.0.0.1", port)) for _ in range(int(line))]
    print(len(held), flush=True)
"""


def _median(fn: Callable[[], object], before: Callable[[], object] = lambda: None) -> tuple[float, float]:
    """Median wall and thread-CPU milliseconds of fn over ROUNDS calls (after one unmeasured
    call); before runs ahead of each call, unmeasured."""
    before()
    fn()
    walls, cpus = [], []
    for _ in range(ROUNDS):
        before()
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        fn()
        cpus.append((time.thread_time() - cpu0) * 1e3)
        walls.append((time.perf_counter() - wall0) * 1e3)
    return statistics.median(walls), statistics.median(cpus)


class _Holder:
    """The child standing in for the target."""

    def __init__(self, port: int, count: int) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(port), str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.held = self._read()
        if self.held != count:
            raise RuntimeError(f"the holder could not open {count} connections")

    def _read(self) -> int:
        assert self.child.stdout is not None
        return int(self.child.stdout.readline() or 0)

    def replace(self, count: int) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(f"{count}\n")
        self.child.stdin.flush()
        self.held = self._read()

    def stop(self) -> None:
        self.child.kill()
        self.child.wait()


def _before(client: redis.Redis, port: int, pid: int) -> float:
    """The probe's count as it was: CLIENT LIST parsed by redis-py, joined with the ports of the
    sockets the target holds now (sock_diag and a readlink of every fd)."""
    clients = client.client_list()
    live = tcp_sockets(LIVE, port)
    inodes = socket_inodes([pid, *(descendants(pid) or [])])
    held = {entry.local_port for entry in live if entry.inode in inodes}
    return float(sum(1 for entry in clients if int(entry["addr"].rsplit(":", 1)[1]) in held))


def _steps(url: str, port: int, holder: _Holder) -> dict[str, tuple[float, float]]:
    pid = holder.child.pid
    client = redis.Redis.from_url(url)
    raw = redis.Redis.from_url(url)
    raw.set_response_callback("CLIENT LIST", lambda response, **_: response)
    reply = raw.execute_command("CLIENT LIST")
    probe = RedisProbe(url, ["bench:"], pid, budget_s=0.05)
    deadline = time.monotonic() + 10
    while _before(client, port, pid) < holder.held and time.monotonic() < deadline:
        time.sleep(0.1)  # connected, but not all accepted by Redis yet
    assert probe.sample()[metrics.REDIS_TARGET_CLIENTS] == holder.held == _before(client, port, pid)
    held = HeldSockets(pid)

    def scan() -> object:
        return probe._scan_step(time.monotonic() + 0.05)

    steps = {
        "INFO (all sections)": _median(client.info),
        "CLIENT LIST reply (raw)": _median(lambda: raw.execute_command("CLIENT LIST")),
        "  parse: redis-py client_list()": _median(lambda: parse_client_list(reply)),
        "readlink of every target fd": _median(lambda: socket_inodes([pid, *(descendants(pid) or [])])),
        "sock_diag, every state, entries": _median(lambda: tcp_sockets(LIVE, port)),
        "sock_diag, established, inodes": _median(lambda: established_toward(port, pid)),
        "held sockets, none new": _median(lambda: held.held(established_toward(port, pid))),
        f"held sockets, {NEW_PER_SAMPLE} replaced": _median(
            lambda: held.held(established_toward(port, pid)), lambda: holder.replace(NEW_PER_SAMPLE)
        ),
        "SCAN step (50 ms budget)": _median(scan),
        "target's clients, before": _median(lambda: _before(client, port, pid)),
        "whole sample, before (+INFO, SCAN)": _median(
            lambda: (client.info(), client.dbsize(), _before(client, port, pid), scan())
        ),
        f"whole sample, {NEW_PER_SAMPLE} replaced": _median(probe.sample, lambda: holder.replace(NEW_PER_SAMPLE)),
    }
    assert probe.sample()[metrics.REDIS_TARGET_CLIENTS] == holder.held == _before(client, port, pid)
    print(f"  (CLIENT LIST reply: {len(reply) / 1e6:.2f} MB; held at the end: {holder.held})")
    for closing in (probe, client, raw):
        closing.close()
    return steps


def main() -> None:
    print("\n== Redis probe: the target's clients, cost by step (median wall ms / thread CPU ms) ==")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory(prefix="soak-bench-redis-") as name:
        tmp = Path(name)
        handle = start_redis("redis-server", tmp, tmp / "redis.log")
        try:
            admin = redis.Redis(port=handle.port)
            admin.config_set("maxclients", max(COUNTS) + 100)
            for i in range(KEYS):
                admin.set(f"bench:{i}", "x")
            table: dict[int, dict[str, tuple[float, float]]] = {}
            for count in COUNTS:
                holder = _Holder(handle.port, count)
                try:
                    print(f"clients held by the target: {count}")
                    table[count] = _steps(handle.url, handle.port, holder)
                finally:
                    holder.stop()
            admin.close()
        finally:
            handle.child.stop()
    names = list(next(iter(table.values())))
    print(f"{'step':36}" + "".join(f"{count:>16,}" for count in COUNTS))
    for step in names:
        cells = "".join(f"{table[c][step][0]:8.2f}/{table[c][step][1]:6.2f} " for c in COUNTS)
        print(f"{step:36}{cells}")


if __name__ == "__main__":
    main()
