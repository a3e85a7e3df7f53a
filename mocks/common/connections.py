"""TCP connection accounting of one mock: requests per connection, who closed it, and churn.

Only connections that carry at least one upstream request count, so the harness's own
/__mock__/stats polling does not show up. Churn is what tells a client per request from a pool
at any call rate (requests per connection only measures the rate against the pool's idle timeout).
A churned connection carried one request and then
- one-shot: was closed by the client (or at its request) within ONE_SHOT_IDLE_S of the answer.
  A pool closes a connection only after it idled (Node's default agent: 5 s, undici: 4 s).
- left behind: sat idle while a newer connection of the same client opened, beside at least one
  other such connection, and was not used again (a later request withdraws it). A pool takes an
  idle connection before it opens one; a keep-alive agent per request leaves each one behind.
"Same client" is the same listener and User-Agent: all peers are loopback. Counting connections
left behind (not the openings beside them) and needing two keeps a second pool of the same library
quiet: its openings pass over the first pool's few idle connections once each, while a leak passes
over every call's. "Idle" means idle for LEFT_BEHIND_IDLE_S, or PICKUP_FACTOR times the client's median
time to reuse a connection if longer: a client whose event loop lags reads its answers late, so the
mock sees idle connections the client still holds as busy (measured: a healthy axios pool in a
starved process opened connections beside ones idle for 8 s).
"""

from __future__ import annotations

import statistics
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from mocks.server.connection import CloseCause

# Requests-per-connection buckets by upper bound; the last bucket is open-ended.
REUSE_BOUNDS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
# Idle-before-close buckets (seconds) of connections the client ended after an answer.
IDLE_BOUNDS_S = (0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
ONE_SHOT_IDLE_S = 1.0
LEFT_BEHIND_IDLE_S = 1.0
LEFT_BEHIND_MIN = 2
PICKUP_FACTOR = 2.0
PICKUP_SAMPLES = 32  # recent reuses per client the pick-up time is taken over
# One-request connections of a client looked at per opening (oldest first): bounds the cost of a flood.
SCAN_MAX = 256
CLIENT_SIDE = (CloseCause.CLIENT, CloseCause.CLIENT_RESET, CloseCause.CLIENT_REQUESTED)


class Tracked(Protocol):
    """What the accounting reads off a server connection."""

    idle_since_s: float | None
    close_cause: CloseCause | None
    local_port: int
    last_idle_s: float


@dataclass(slots=True)
class _Client:
    """The live connections of one client key, and how soon it reuses one."""

    entries: dict[Tracked, _Entry] = field(default_factory=dict)
    # One-request connections not yet left behind, oldest first.
    candidates: dict[Tracked, _Entry] = field(default_factory=dict)
    left_behind_idle: int = 0
    reuse_gaps_s: deque[float] = field(default_factory=lambda: deque(maxlen=PICKUP_SAMPLES))

    def idle_after_s(self) -> float:
        if not self.reuse_gaps_s:
            return LEFT_BEHIND_IDLE_S
        return max(LEFT_BEHIND_IDLE_S, PICKUP_FACTOR * statistics.median(self.reuse_gaps_s))


@dataclass(eq=False, slots=True)
class _Entry:
    seq: int
    client: str
    owner: _Client
    requests: int = 0
    left_behind: bool = False


@dataclass
class ConnectionStats:
    clock: Callable[[], float] = time.monotonic
    accepted_total: int = 0
    opened: int = 0
    requests: int = 0
    one_shot: int = 0
    left_behind: int = 0
    withdrawn: int = 0
    live: dict[Tracked, _Entry] = field(default_factory=dict)
    by_client: dict[str, _Client] = field(default_factory=dict)
    closed: Counter[str] = field(default_factory=Counter)
    closed_reuse: list[int] = field(default_factory=lambda: [0] * (len(REUSE_BOUNDS) + 1))
    client_idle_close: list[int] = field(default_factory=lambda: [0] * (len(IDLE_BOUNDS_S) + 1))

    def on_request(self, connection: Tracked, user_agent: str = "") -> int:
        """Count a request on its connection; return the connection's sequence number."""
        self.requests += 1
        entry = self.live.get(connection)
        if entry is None:
            entry = self._open(connection, f"{connection.local_port} {user_agent}")
        else:
            self._reuse(connection, entry)
        entry.requests += 1
        return entry.seq

    def _open(self, connection: Tracked, client: str) -> _Entry:
        self.opened += 1
        same_client = self.by_client.get(client)
        if same_client is None:
            same_client = self.by_client[client] = _Client()
        entry = _Entry(self.opened, client, same_client)
        self._pass_over(same_client)
        self.live[connection] = same_client.entries[connection] = same_client.candidates[connection] = entry
        return entry

    def _pass_over(self, same_client: _Client) -> None:
        """A new connection opens: the client's one-request connections idle long enough are left behind."""
        cutoff_s = self.clock() - same_client.idle_after_s()
        idle = [
            (connection, entry)
            for connection, entry in islice(same_client.candidates.items(), SCAN_MAX)
            if connection.idle_since_s is not None and connection.idle_since_s <= cutoff_s
        ]
        if len(idle) + same_client.left_behind_idle < LEFT_BEHIND_MIN:
            return
        for connection, entry in idle:
            del same_client.candidates[connection]
            entry.left_behind = True
        self.left_behind += len(idle)
        same_client.left_behind_idle += len(idle)

    def _reuse(self, connection: Tracked, entry: _Entry) -> None:
        same_client = entry.owner
        same_client.reuse_gaps_s.append(connection.last_idle_s)
        same_client.candidates.pop(connection, None)
        if entry.left_behind:
            # Used again: it belonged to a live pool (e.g. an answer the client was slow to read).
            entry.left_behind = False
            self.withdrawn += 1
            same_client.left_behind_idle -= 1

    def on_lost(self, connection: Tracked) -> None:
        entry = self.live.pop(connection, None)
        if entry is None:
            return
        same_client = entry.owner
        del same_client.entries[connection]
        same_client.candidates.pop(connection, None)
        if entry.left_behind:
            same_client.left_behind_idle -= 1
        if not same_client.entries:
            del self.by_client[entry.client]
        cause = connection.close_cause or CloseCause.CLIENT
        since_s = connection.idle_since_s
        idle_s = None if since_s is None else self.clock() - since_s
        by_client = cause in CLIENT_SIDE
        self.closed["client_abort" if by_client and idle_s is None else cause.value] += 1
        self.closed_reuse[bisect_left(REUSE_BOUNDS, entry.requests)] += 1
        if by_client and idle_s is not None:
            self.client_idle_close[bisect_left(IDLE_BOUNDS_S, idle_s)] += 1
            # Never also left behind: that needs LEFT_BEHIND_IDLE_S of idle time, longer than this.
            if entry.requests == 1 and idle_s < ONE_SHOT_IDLE_S:
                self.one_shot += 1

    def snapshot(self) -> dict[str, Any]:
        per_connection = self.requests / self.opened if self.opened else None
        return {
            "accepted_total": self.accepted_total,
            "opened": self.opened,
            "open": len(self.live),
            "requests": self.requests,
            "requests_per_connection": per_connection,
            "closed_by_requests": _buckets(REUSE_BOUNDS, self.closed_reuse),
            "closed": dict(sorted(self.closed.items())),
            "client_idle_before_close_s": _buckets(IDLE_BOUNDS_S, self.client_idle_close),
            "churn": {
                "connections": self.one_shot + self.left_behind - self.withdrawn,
                "one_shot": self.one_shot,
                "left_behind": self.left_behind - self.withdrawn,
            },
        }


def _buckets(bounds: tuple[float, ...], counts: list[int]) -> dict[str, int]:
    histogram = {f"le_{bound:g}": n for bound, n in zip(bounds, counts, strict=False) if n}
    if counts[-1]:
        histogram["inf"] = counts[-1]
    return histogram
