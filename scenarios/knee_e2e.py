"""The knee's end-to-end latency, live: the updates the master sees joined with the mocks' call
records as they are flushed, by the accounting's own join (harness/accounting/join.py), so a service
that answers its webhook at once while its work queues up stops the load within a few steps of its
limit rather than being overloaded to the last step. Pure: no Locust import.

An update not finished within the e2e limit counts as slower than the limit, so a step can be judged
once its last update is that old and every call up to then has been read.
"""

from __future__ import annotations

import heapq
import time
from itertools import count
from pathlib import Path
from typing import Any

import msgspec

from harness.accounting.join import SLACK_S, Join, JoinSettings
from harness.accounting.records import CallRecord, UpdateRecord
from harness.accounting.tally import Window
from harness.analysis.knee import THIRDS, judged_by_step, step_e2e

# How long after a call ends its record may reach the file: the mocks flush every 0.25 s, and a
# busy loop runs its flush late.
FLUSH_LAG_S = 2.0
# Past this many lines the tail reads the rest at the next advance, so one call stays short.
MAX_READ_BYTES = 8 << 20


class CallTail:
    """The complete lines appended to a file since the last read (none while it does not exist)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""
        self._decode = msgspec.json.Decoder(CallRecord).decode

    def read(self) -> list[CallRecord]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read(MAX_READ_BYTES)
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        records = []
        for line in lines:
            try:
                records.append(self._decode(line))
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue  # a line of another shape is skipped, as the accounting does
        return records


class LiveE2E:
    """Updates and calls fed in send order to a join whose completion timeout is the e2e limit."""

    def __init__(self, calls_path: Path, limit_s: float, step_s: float, origin_s: float, *, by_callback: bool) -> None:
        self.limit_s = limit_s
        self.step_s = step_s
        self._window = Window(origin_s, step_s / THIRDS)
        settings = JoinSettings(0.0, self._window, limit_s, results_by_callback=by_callback)
        self._join = Join(settings)
        self._tail = CallTail(calls_path)
        self._updates: list[tuple[float, int, UpdateRecord]] = []  # a heap by send time
        self._order = count()
        self.judged_through_s = float("-inf")  # every update sent by then is closed (Unix s)

    @property
    def lag_s(self) -> float:
        """How long after its last update a step can be judged."""
        return self.limit_s + FLUSH_LAG_S + SLACK_S

    def observe(self, record: dict[str, Any]) -> None:
        try:
            update = msgspec.convert(record, UpdateRecord)
        except msgspec.ValidationError:
            return
        heapq.heappush(self._updates, (update.t, next(self._order), update))

    def _add_updates(self, until_s: float) -> None:
        while self._updates and self._updates[0][0] <= until_s:
            self._join.add_update(heapq.heappop(self._updates)[2])

    def advance(self, now_s: float | None = None) -> None:
        """Read the calls flushed so far and close the updates whose limit has passed."""
        now_s = time.time() if now_s is None else now_s
        for call in self._tail.read():
            self._add_updates(call.t + SLACK_S)
            self._join.add_call(call, call.t)
        read_through_s = now_s - FLUSH_LAG_S
        self._add_updates(read_through_s)
        self._join.expire(read_through_s - SLACK_S)
        self.judged_through_s = read_through_s - SLACK_S - self.limit_s

    def ready(self, step: int) -> bool:
        return self.judged_through_s >= self._window.origin_s + (step + 1) * self.step_s

    def step_p95(self, step: int) -> tuple[float | None, str | None]:
        """The worst flow's e2e p95 over the step's last two thirds (inf: past the limit unfinished)."""
        windows = self._join.tally.result().windows
        return step_e2e(judged_by_step(windows, self._window.origin_s, self._window.length_s).get(step, []))
