"""Redis probe: clients (all and the target's), memory, DBSIZE, key counts per prefix.

The target's clients are counted at each sample from three readings taken within milliseconds:
CLIENT LIST (the server's view), the sockets toward Redis's port (sock_diag) and the socket
inodes the target's process tree holds now. A map of ports kept from an older TCP sample lagged
a Redis-client leak by hundreds of clients (1,607 read while connected_clients was 1,779).

Keys are counted by an incremental SCAN that stops at its time budget and resumes next sample;
counts are published only for complete passes. What the server cannot tell (fakeredis has no
INFO, and its CLIENT LIST is not the real client table) is recorded as missing, never as 0.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlsplit

import redis

from harness.collector import metrics
from harness.collector.procfs import TcpState, descendants, socket_inodes, tcp_table
from harness.collector.sockdiag import ALL_STATES, state_mask, tcp_sockets
from harness.collector.store import Metric, Missing, Value

_ADDR = re.compile(r"^[\w.:\[\]-]*:(\d+)$")
_SCAN_COUNT = 1000
_LIVE = ALL_STATES & ~state_mask(TcpState.TIME_WAIT, TcpState.LISTEN)


def target_ports_toward(root_pid: int, port: int) -> frozenset[int]:
    """Local ports of the sockets that root_pid's process tree holds now toward a remote port."""
    try:
        candidates = tcp_sockets(_LIVE, port)
    except OSError:  # no sock_diag here: the text table, which costs more
        candidates = [e for e in tcp_table(root_pid) if e.remote_port == port and e.state is not TcpState.TIME_WAIT]
    if not candidates:
        return frozenset()
    inodes = socket_inodes([root_pid, *(descendants(root_pid) or [])])
    return frozenset(entry.local_port for entry in candidates if entry.inode in inodes)


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
        self._target_pid = target_pid
        self._budget_s = budget_s
        self._cursor = 0
        self._partial: Counter[str] = Counter()
        self._info_error: str | None = None
        self._own_id: int | None = None

    def sample(self) -> dict[Metric, Value]:
        try:
            values = self._info()
            values.update(self._clients())
            values[metrics.REDIS_DBSIZE] = float(self._client.dbsize())
            values.update(self._scan_step(time.monotonic() + self._budget_s))
        except redis.ConnectionError:
            self._own_id = None
            return {metrics.REDIS_UP: 0.0}
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
        if self._info_error is not None:
            # A server without INFO is fakeredis, whose CLIENT LIST is not the real client table
            # (and sometimes drops the connection), so it is not asked.
            return {metrics.REDIS_TARGET_CLIENTS: Missing(f"CLIENT LIST not trusted: {self._info_error}")}
        if self._target_pid is None or self._port is None:
            why = "no target process" if self._target_pid is None else "Redis is not reached over TCP"
            return {metrics.REDIS_TARGET_CLIENTS: Missing(f"target's Redis clients not counted: {why}")}
        try:
            if self._own_id is None:
                self._own_id = int(self._client.client_id())
            clients = self._client.client_list()
        except redis.ResponseError as exc:
            return {metrics.REDIS_TARGET_CLIENTS: Missing(f"CLIENT LIST unsupported: {exc}")}
        ports = []
        for client in clients:
            match = _ADDR.match(str(client.get("addr", "")))
            if match is None:
                return {metrics.REDIS_TARGET_CLIENTS: Missing("CLIENT LIST gives no client addresses (fakeredis)")}
            if int(client.get("id", -1)) != self._own_id:
                ports.append(int(match.group(1)))
        held = target_ports_toward(self._target_pid, self._port)
        return {metrics.REDIS_TARGET_CLIENTS: float(sum(1 for port in ports if port in held))}

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
