"""Redis probe: clients (all and the target's), memory, DBSIZE, key counts per prefix.

Keys are counted by an incremental SCAN that stops at its time budget and resumes next sample;
counts are published only for complete passes. What the server cannot tell (fakeredis has no
INFO, and its CLIENT LIST is not the real client table) is recorded as missing, never as 0.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence

import redis

from harness.collector import metrics
from harness.collector.store import Metric, Missing, Value

_ADDR = re.compile(r"^[\w.:\[\]-]*:(\d+)$")
_SCAN_COUNT = 1000


class RedisProbe:
    name = "redis"

    def __init__(
        self,
        url: str,
        prefixes: Sequence[str],
        target_ports: Callable[[], frozenset[int] | None],
        budget_s: float = 0.05,
    ) -> None:
        # Named "soak-*" so a Redis fault that drops the target's connections spares the probe's.
        timeout_s = max(0.5, budget_s * 4)
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=1.0, client_name="soak-collector"
        )
        self._prefixes = tuple(prefixes)
        self._target_ports = target_ports
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
        except redis.ConnectionError:
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
        try:
            clients = self._client.client_list()
        except redis.ResponseError as exc:
            return {metrics.REDIS_TARGET_CLIENTS: Missing(f"CLIENT LIST unsupported: {exc}")}
        ports = []
        for client in clients:
            match = _ADDR.match(str(client.get("addr", "")))
            if match is None:
                return {metrics.REDIS_TARGET_CLIENTS: Missing("CLIENT LIST gives no client addresses (fakeredis)")}
            ports.append(int(match.group(1)))
        target_ports = self._target_ports()
        if target_ports is None:
            return {}  # the TCP probe has not mapped the target's sockets yet
        return {metrics.REDIS_TARGET_CLIENTS: float(sum(1 for port in ports if port in target_ports))}

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
