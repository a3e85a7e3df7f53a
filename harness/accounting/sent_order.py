"""updates.jsonl in send order: its lines are written when each answer comes, so an update answered
late (or cut short by the load's stop) sits behind updates sent after it.

A line is written at most ANSWER_WAIT_S after its update was sent (Locust's network timeout, and its
stop timeout for a user stopped while waiting), so once a line sent later than t + ANSWER_WAIT_S has
been read, every update sent by t has been. Only the lines of that span are held (a heap), so memory
grows with the rate, never with the run's length.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import count

from harness.accounting.records import UpdateRecord

# FastHttpUser's network timeout (60 s) plus Locust's stop timeout as soak runs it (5 s).
ANSWER_WAIT_S = 65.0

Timed = tuple[float, UpdateRecord]


class SentOrder:
    """The (run-clock send time, record) pairs of a file-ordered stream, handed out in send order."""

    def __init__(self, timed: Iterator[Timed], answer_wait_s: float = ANSWER_WAIT_S) -> None:
        self._timed = timed
        self._answer_wait_s = answer_wait_s
        self._heap: list[tuple[float, int, UpdateRecord]] = []
        self._order = count()  # ties keep file order
        self._next: Timed | None = next(timed, None)

    def _read_until(self, t_s: float) -> None:
        while self._next is not None and self._next[0] <= t_s:
            heapq.heappush(self._heap, (self._next[0], next(self._order), self._next[1]))
            self._next = next(self._timed, None)

    def until(self, t_s: float) -> Iterator[Timed]:
        """The records sent by t_s not handed out yet, oldest first."""
        self._read_until(t_s + self._answer_wait_s)
        while self._heap and self._heap[0][0] <= t_s:
            sent_s, _, record = heapq.heappop(self._heap)
            yield sent_s, record
