"""Mock-stats probe: per-upstream request counters from each mock's /__mock__/stats."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from harness.collector import metrics
from harness.collector.store import Metric


class MockProbe:
    def __init__(self, urls: dict[str, str], timeout_s: float = 0.5) -> None:
        self._urls = urls
        self._timeout_s = timeout_s

    def sample(self) -> dict[Metric, float]:
        values: dict[Metric, float] = {}
        total = 0.0
        for upstream, url in self._urls.items():
            stats = self._fetch(url)
            if stats is None:
                continue
            total += stats["requests_total"]
            values[metrics.mock_requests(upstream)] = float(stats["requests_total"])
            values[metrics.mock_violations(upstream)] = float(stats["contract_violations"])
        if values:
            values[metrics.MOCK_REQUESTS] = total
        return values

    def _fetch(self, base_url: str) -> dict[str, int] | None:
        try:
            with urllib.request.urlopen(f"{base_url}/__mock__/stats", timeout=self._timeout_s) as response:
                data: dict[str, int] = json.loads(response.read())
                return data
        except (urllib.error.URLError, OSError, ValueError):
            return None
