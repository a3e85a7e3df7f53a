"""Scheduling for the open model, and exact shares: pure, no Locust import.

The pacer hands out scheduled send times one by one, at the model's rate, to whichever user of
the process is free (wrk2's approach). A send that starts late, because every user was still
waiting for an answer, keeps its scheduled time: its latency is counted from there, so a stalled
service shows as latency and the backlog is sent as soon as users free up.
"""

from __future__ import annotations

from collections.abc import Callable

# Below this rate the pacer waits for the rate to rise instead of scheduling one send far away.
IDLE_RATE = 1e-6
IDLE_STEP_S = 0.1


class ExactShare:
    """True on exactly floor(n * share) of the first n calls, spread evenly (no randomness to
    average out: a 2 % share is 2 % of a short run too)."""

    def __init__(self, share: float) -> None:
        self.share = share
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.share > 0 and int(self.calls * self.share) > int((self.calls - 1) * self.share)


class Pacer:
    """Scheduled send times (Unix s) at rate_of(elapsed) x share updates per second.

    share is this process's part of the rate: 1 alone, 1/N for each of N workers.
    """

    def __init__(self, rate_of: Callable[[float], float], start_s: float, share: float = 1.0) -> None:
        self.rate_of = rate_of
        self.start_s = start_s
        self.share = share
        self._next_s = start_s

    def restart(self, start_s: float, share: float) -> None:
        """A new test (or the master's word on the worker count and start time)."""
        self.start_s = start_s
        self.share = share
        self._next_s = start_s

    def claim(self, deadline_s: float) -> float | None:
        """The next scheduled send time; None when none falls before deadline_s (the rate stays 0)."""
        t_s = self._next_s
        while t_s < deadline_s:
            rate = self.rate_of(t_s - self.start_s) * self.share
            if rate > IDLE_RATE:
                self._next_s = t_s + 1.0 / rate
                return t_s
            t_s += IDLE_STEP_S
        self._next_s = t_s
        return None
