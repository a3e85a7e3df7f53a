"""TCP connection accounting of one mock: opened, open now, and requests per connection (reuse).

Only connections that carry at least one upstream request count, so the harness's own
/__mock__/stats polling (a connection per poll) does not dilute the reuse figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Requests-per-connection buckets by upper bound; the last bucket is open-ended.
REUSE_BOUNDS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


@dataclass
class ConnectionStats:
    accepted_total: int = 0
    opened: int = 0
    requests: int = 0
    # Key: the server's connection object of a live connection; value: [sequence number, requests].
    live: dict[object, list[int]] = field(default_factory=dict)
    closed_reuse: list[int] = field(default_factory=lambda: [0] * (len(REUSE_BOUNDS) + 1))

    def on_request(self, protocol: object) -> int:
        """Count a request on its connection; return the connection's sequence number."""
        self.requests += 1
        entry = self.live.get(protocol)
        if entry is None:
            self.opened += 1
            entry = self.live[protocol] = [self.opened, 0]
        entry[1] += 1
        return entry[0]

    def on_lost(self, protocol: object) -> None:
        entry = self.live.pop(protocol, None)
        if entry is None:
            return
        index = next((i for i, bound in enumerate(REUSE_BOUNDS) if entry[1] <= bound), len(REUSE_BOUNDS))
        self.closed_reuse[index] += 1

    def snapshot(self) -> dict[str, Any]:
        per_connection = self.requests / self.opened if self.opened else None
        histogram = {f"le_{b}": n for b, n in zip(REUSE_BOUNDS, self.closed_reuse, strict=False) if n}
        if self.closed_reuse[-1]:
            histogram["inf"] = self.closed_reuse[-1]
        return {
            "accepted_total": self.accepted_total,
            "opened": self.opened,
            "open": len(self.live),
            "requests": self.requests,
            "requests_per_connection": per_connection,
            "closed_by_requests": histogram,
        }
