"""Redis probe: clients (all and the target's), memory, DBSIZE, key counts per prefix.

The target's clients are its connections to Redis's port that are established now: sockets
toward the port from a sock_diag dump, held by the target's process tree (held_sockets.py). A
socket the server dropped is in CLOSE_WAIT, not established; the collector's own connections
are in its own process, left out. CLIENT LIST (the server's view joined with the same sockets)
said the same for 36 ms of CPU a sample at 1,000 clients and 257 ms at 10,000 (this: 13 and 30
ms, benchmarks/redis_clients.py), and the probe's CPU share then spaced readings up to 77 s
apart while a leak was growing.

Keys are counted by an incremental SCAN that stops at its time budget and resumes next sample;
counts are published only for complete passes. What the server cannot tell (fakeredis has no
INFO) is recorded as missing, never as 0.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

import redis

from harness.collector import metrics
from harness.collector.held_sockets import HeldSockets
from harness.collector.procfs import TcpState, tcp_table
from harness.collector.sockdiag import state_mask, tcp_inodes
from harness.collector.store import Metric, Missing, Value

_SCAN_COUNT = 1000
ESTABLISHED = state_mask(TcpState.ESTABLISHED)


def established_toward(port: int, pid: int) -> frozenset[int]:
    """Inodes of the sockets established toward a remote port in pid's network namespace."""
    try:
        return tcp_inodes(ESTABLISHED, port)
    except OSError:  # no sock_diag here: the text table, which costs more
        table = tcp_table(pid)
        wanted = (e for e in table if e.remote_port == port and e.state is TcpState.ESTABLISHED)
        return frozenset(e.inode for e in wanted if e.inode)


class RedisProbe:
    name = "redis"

    def __init__(self, url: str, prefixes: Sequence[str], target_pid: int | None, budget_s: float = 0.05) -> None:
        # Named "soak-*" so a Redis fault that drops the target's connections spares the probe's.
        timeout_s = max(0.5, budget_s * 4)
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=1.0, client_name="soak-collector"
        )
        parts = urlsplit(url)
        self._port = (parts.port or 6379) if parts.scheme in {"redis", "rediss"} else None
        self._prefixes = tuple(prefixes)
        self._held = None if target_pid is None else HeldSockets(target_pid, exclude=frozenset({os.getpid()}))
        self._budget_s = budget_s
        self._cursor = 0
        self._partial: Counter[str] = Counter()
        self._info_error: str | None = None

    def sample(self) -> dict[Metric, Value]:
        try:
            values = self._info()
            values.update(self._clients())
            values[metrics.REDIS_DBSIZE] = float(self._client.dbsize())
            values.update(self._scan_step(time.monotonic() + self._budget_s))
        except redis.ConnectionError as exc:
            # While the server is down its clients are being dropped: no count stands for the tick.
            why = f"not counted while Redis does not answer (redis.up = 0): {exc}"
            return {metrics.REDIS_UP: 0.0, metrics.REDIS_TARGET_CLIENTS: Missing(why[:200])}
        values[metrics.REDIS_UP] = 1.0
        return values

    def _info(self) -> dict[Metric, Value]:
        if self._info_error is None:
            try:
                info = self._client.info()
            except redis.ResponseError as exc:
                self._info_error = f"INFO unsupported: {exc}"
                # fakeredis may drop the connection after an unknown command: start afresh.
                self._client.connection_pool.disconnect()
        if self._info_error is not None:
            reason = self._info_error
            return {metrics.REDIS_CLIENTS: Missing(reason), metrics.REDIS_USED_MEMORY: Missing(reason)}
        assert isinstance(info, dict)
        return {
            metrics.REDIS_CLIENTS: float(info["connected_clients"]),
            metrics.REDIS_USED_MEMORY: float(info["used_memory"]),
        }

    def _clients(self) -> dict[Metric, Value]:
        if self._held is None or self._port is None:
            why = "no target process" if self._held is None else "Redis is not reached over TCP"
            return {metrics.REDIS_TARGET_CLIENTS: Missing(f"target's Redis clients not counted: {why}")}
        try:
            holding = self._held.held(established_toward(self._port, self._held.root_pid))
        except PermissionError as exc:
            return {metrics.REDIS_TARGET_CLIENTS: Missing(f"the target's fds cannot be read: {exc}")}
        return {metrics.REDIS_TARGET_CLIENTS: float(len(holding.inodes))}

    def _scan_step(self, deadline: float) -> dict[Metric, Value]:
        """Advance the SCAN (at least one batch) until the deadline; a completed pass publishes."""
        while True:
            cursor, keys = self._client.scan(self._cursor, count=_SCAN_COUNT)
            for key in keys:
                text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
                for prefix in self._prefixes:
                    if text.startswith(prefix):
                        self._partial[prefix] += 1
            self._cursor = int(cursor)
            if self._cursor == 0:
                counts, self._partial = self._partial, Counter()
                return {metrics.redis_keys_of(prefix): float(counts[prefix]) for prefix in self._prefixes}
            if time.monotonic() >= deadline:
                return {}

    def close(self) -> None:
        self._client.close()
