"""Per-route request accounting for a mock, bounded in memory however long the run lasts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RouteStats:
    """Counts by route and status; routes are a fixed, small set of names (never raw paths)."""

    by_route_status: Counter[tuple[str, int]] = field(default_factory=Counter)
    contract_violations: int = 0

    def record(self, route: str, status: int) -> None:
        self.by_route_status[(route, status)] += 1

    def snapshot(self) -> dict[str, Any]:
        routes: dict[str, dict[str, int]] = {}
        for (route, status), count in sorted(self.by_route_status.items()):
            routes.setdefault(route, {})[str(status)] = count
        total = sum(self.by_route_status.values())
        return {
            "requests_total": total,
            "routes": routes,
            "contract_violations": self.contract_violations,
        }
