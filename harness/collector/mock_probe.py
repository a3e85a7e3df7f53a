"""Mock-stats probe: per-upstream request counters from each mock's /__mock__/stats.

One kept-alive HTTP connection per mock (a fresh urllib connection per fetch costs ~10x the
CPU). TLS listeners serve the same mock app, so only the plain-HTTP ones are asked.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from harness.collector import metrics
from harness.collector.store import Metric, Value

# The mocks' close causes (mocks.server.connection.CloseCause) where the client ended the connection.
CLIENT_CLOSES = ("client", "client_reset", "client_requested", "client_abort")


class MockProbe:
    name = "mocks"

    def __init__(self, urls: dict[str, str], timeout_s: float = 0.5) -> None:
        self._urls = {upstream: url for upstream, url in urls.items() if urlsplit(url).scheme == "http"}
        self._timeout_s = timeout_s
        self._connections: dict[str, http.client.HTTPConnection] = {}

    def sample(self) -> dict[Metric, Value]:
        values: dict[Metric, Value] = {}
        total = 0.0
        for upstream, url in self._urls.items():
            stats = self._fetch(upstream, url)
            if stats is None:
                continue
            total += stats["requests_total"]
            values[metrics.mock_requests(upstream)] = float(stats["requests_total"])
            values[metrics.mock_violations(upstream)] = float(stats["contract_violations"])
            values.update(_connection_values(upstream, stats))
        if values:
            values[metrics.MOCK_REQUESTS] = total
        return values

    def _fetch(self, upstream: str, base_url: str) -> dict[str, Any] | None:
        connection = self._connections.get(upstream)
        if connection is None:
            parts = urlsplit(base_url)
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=self._timeout_s)
            self._connections[upstream] = connection
        try:
            connection.request("GET", "/__mock__/stats")
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            data: dict[str, Any] = json.loads(body)
            return data
        except (OSError, http.client.HTTPException, ValueError):
            connection.close()  # reconnects on the next sample
            return None

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()


def _connection_values(upstream: str, stats: dict[str, Any]) -> dict[Metric, Value]:
    """Connection counts and churn as the mock saw them; absent from mocks that do not account connections."""
    connections = stats.get("connections") or {}
    values: dict[Metric, Value] = {}
    if "opened" in connections:
        values[metrics.mock_connections(upstream, "opened")] = float(connections["opened"])
    if "open" in connections:
        values[metrics.mock_connections(upstream, "open")] = float(connections["open"])
    if "in_flight" in stats:
        values[metrics.mock_in_flight(upstream)] = float(stats["in_flight"])
    churn = connections.get("churn")
    if isinstance(churn, dict):
        closed = connections.get("closed") or {}
        by_client = sum(closed.get(cause, 0) for cause in CLIENT_CLOSES)
        values[metrics.mock_connections(upstream, "churned")] = float(churn["connections"])
        values[metrics.mock_connections(upstream, "one_shot")] = float(churn["one_shot"])
        values[metrics.mock_connections(upstream, "left_behind")] = float(churn["left_behind"])
        values[metrics.mock_connections(upstream, "closed_by_client")] = float(by_client)
        values[metrics.mock_connections(upstream, "closed_idle_by_mock")] = float(closed.get("server_idle", 0))
    return values
