"""Per-route request accounting for a mock, bounded in memory however long the run lasts."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Upper bounds of the latency buckets, in milliseconds; the last bucket is open-ended.
LATENCY_BOUNDS_MS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000)


@dataclass
class LatencyHistogram:
    """Counts per fixed bucket: memory does not grow with the number of requests."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))

    def add(self, latency_ms: float) -> None:
        self.counts[bisect_left(LATENCY_BOUNDS_MS, latency_ms)] += 1

    def quantile_ms(self, q: float) -> float | None:
        """Upper bound of the bucket holding quantile q (None past the last bound, or if empty)."""
        total = sum(self.counts)
        if total == 0:
            return None
        rank = q * total
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= rank and count:
                return float(LATENCY_BOUNDS_MS[index]) if index < len(LATENCY_BOUNDS_MS) else None
        return None

    def snapshot(self) -> dict[str, Any]:
        buckets = {f"le_{bound}": n for bound, n in zip(LATENCY_BOUNDS_MS, self.counts, strict=False) if n}
        if self.counts[-1]:
            buckets["inf"] = self.counts[-1]
        return {"buckets_ms": buckets, "p50_ms": self.quantile_ms(0.5), "p99_ms": self.quantile_ms(0.99)}


@dataclass
class RouteStats:
    """Counts by route and status; routes are a fixed, small set of names (never raw paths)."""

    by_route_status: Counter[tuple[str, int]] = field(default_factory=Counter)
    latency: dict[str, LatencyHistogram] = field(default_factory=dict)
    contract_violations: int = 0
    in_flight: int = 0

    def record(self, route: str, status: int, latency_s: float = 0.0) -> None:
        self.by_route_status[(route, status)] += 1
        histogram = self.latency.get(route)
        if histogram is None:
            histogram = self.latency[route] = LatencyHistogram()
        histogram.add(latency_s * 1000.0)

    def snapshot(self) -> dict[str, Any]:
        routes: dict[str, dict[str, int]] = {}
        for (route, status), count in sorted(self.by_route_status.items()):
            routes.setdefault(route, {})[str(status)] = count
        total = sum(self.by_route_status.values())
        return {
            "requests_total": total,
            "routes": routes,
            "contract_violations": self.contract_violations,
            "in_flight": self.in_flight,
            "latency": {route: h.snapshot() for route, h in sorted(self.latency.items())},
        }
